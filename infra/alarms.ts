import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface AlarmsProps {
  /** Subscribe this address to the topic (AWS mails a confirmation link first). */
  readonly email?: string;
}

/**
 * The stack's operational alarms and the SNS topic they notify (KMS-encrypted, TLS only; optionally
 * e-mailed). CloudWatch publishes with the service principal, so the topic policy lets it publish for
 * this account's alarms only, and the topic's own key lets it encrypt (an AWS managed key could not).
 */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the alarm notifications topic',
      enableKeyRotation: true,
      // It protects notifications in transit only; nothing stored depends on it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [cloudwatchService], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] }),
    );
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'NcPsyService alarms', masterKey: key, enforceSSL: true });
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [cloudwatchService],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          },
        },
      }),
    );
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
    this.action = new SnsAction(this.topic);
  }

  /** ALARM as soon as a dead-letter queue holds a message: nothing should ever land there. */
  onDeadLetters(queue: sqs.IQueue, id: string, description: string): cloudwatch.Alarm {
    return this.alarm(id, description, queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 1);
  }

  /** ALARM when a queue's oldest message is older than `maxAge`: its consumer is stuck or far behind. */
  onOldestMessage(queue: sqs.IQueue, id: string, maxAge: Duration, description: string): cloudwatch.Alarm {
    const metric = queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' });
    return this.alarm(id, description, metric, maxAge.toSeconds(), cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD);
  }

  private alarm(
    id: string,
    description: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    comparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator,
      evaluationPeriods: 1,
      // An idle queue may publish no data points: that is not a problem.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    return alarm;
  }
}
