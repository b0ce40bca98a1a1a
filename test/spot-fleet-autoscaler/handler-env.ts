// Imported before the handler: Powertools reads the metrics namespace when the module loads, as in Lambda.
process.env.POWERTOOLS_METRICS_NAMESPACE = 'Test/Autoscaler';
