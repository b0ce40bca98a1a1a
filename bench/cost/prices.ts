/**
 * Public list prices, us-east-1 (N. Virginia), on-demand, without free tiers. One dated file: update the
 * numbers and the date together. Recorded 2026-12-03 from the public pricing pages named beside each group
 * (aws.amazon.com/<service>/pricing/); no machine here reaches AWS, so re-check them before quoting a bill.
 * Fargate Spot and EC2 Spot prices float; the figures are typical us-east-1 values, not guarantees.
 */
export const PRICES = {
  asOf: '2026-12-03',
  region: 'us-east-1',
  /** "AWS Fargate Pricing" (Linux, x86 and ARM; Fargate Spot) */
  fargate: {
    vcpuHourX86: 0.04048,
    gbHourX86: 0.004445,
    vcpuHourArm: 0.03238,
    gbHourArm: 0.00356,
    spotVcpuHourX86: 0.01214,
    spotGbHourX86: 0.00133,
  },
  /** "AWS Lambda Pricing" */
  lambda: { perMillionRequests: 0.2, gbSecondX86: 0.0000166667, gbSecondArm: 0.0000133334 },
  /** "Amazon SQS Pricing" (standard queues; 64 KB chunks count as one request) */
  sqs: { perMillionRequests: 0.4 },
  /** "Amazon S3 Pricing" (S3 Standard) */
  s3: { perThousandPuts: 0.005, perThousandGets: 0.0004, gbMonth: 0.023 },
  /** "Amazon DynamoDB Pricing" (on-demand capacity) */
  dynamodb: { perMillionWrites: 0.625, perMillionReads: 0.125, gbMonth: 0.25 },
  /** "Amazon API Gateway Pricing" (REST APIs, first 333 million) */
  apiGateway: { perMillionRestRequests: 3.5 },
  /** "Amazon SNS Pricing" (standard topics) */
  sns: { perMillionPublishes: 0.5 },
  /** "Amazon CloudWatch Pricing" (standard alarms; dashboards beyond the first three per account; Logs) */
  cloudwatch: { alarmMonth: 0.1, dashboardMonth: 3.0, freeDashboardsPerAccount: 3, logsIngestGb: 0.5, logsStoreGbMonth: 0.03 },
  /** "Amazon VPC Pricing" (NAT gateway, interface endpoints per AZ, public IPv4 addresses) */
  vpc: { natGatewayHour: 0.045, natGatewayGb: 0.045, interfaceEndpointAzHour: 0.01, publicIpv4Hour: 0.005 },
  /** "AWS Key Management Service Pricing" (customer-managed key) */
  kms: { keyMonth: 1.0 },
  /** "Amazon EC2 Spot Instances Pricing" / "Amazon EC2 On-Demand Pricing" (c7g.large) */
  ec2: { c7gLargeOnDemandHour: 0.0725, c7gLargeSpotHour: 0.031 },
};

export const HOURS_PER_MONTH = 730;
