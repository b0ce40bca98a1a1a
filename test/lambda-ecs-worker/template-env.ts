import { Template } from 'aws-cdk-lib/assertions';

/** The environment variables of the Lambda function whose logical id matches `logicalIdPattern`. */
export const envOf = (template: Template, logicalIdPattern: RegExp): Record<string, unknown> => {
  const fns = template.findResources('AWS::Lambda::Function');
  const [, fn] = Object.entries(fns).find(([id]) => logicalIdPattern.test(id))!;
  return fn.Properties.Environment.Variables as Record<string, unknown>;
};

/** The worker container's environment as a name → value map. */
export const containerEnv = (template: Template): Record<string, unknown> => {
  const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  const env = taskDefinition.Properties.ContainerDefinitions[0].Environment as Array<{ Name: string; Value: unknown }>;
  return Object.fromEntries(env.map((e) => [e.Name, e.Value]));
};
