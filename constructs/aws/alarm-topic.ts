import { Construct } from "constructs";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";

export interface AlarmTopicProps {
  namePrefix: string;
  /**
   * Create a topic with this e-mail subscribed, or …
   * @default none: then existingTopicArn is required
   */
  email?: string;
  /**
   * … send alarms to an existing topic (config: exactly one of the two).
   * @default none: a topic is created for `email`
   */
  existingTopicArn?: string;
}

/** Where every alarm of an environment goes: a topic this stack owns, or one that already exists. */
export class AlarmTopic extends Construct {
  readonly topicArn: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    if (props.existingTopicArn) {
      this.topicArn = props.existingTopicArn;
      return;
    }
    if (!props.email) throw new Error("AlarmTopic needs an e-mail address or an existing topic ARN");
    const topic = new SnsTopic(this, "topic", { name: `${props.namePrefix}-alarms` });
    new SnsTopicSubscription(this, "email", { topicArn: topic.arn, protocol: "email", endpoint: props.email });
    this.topicArn = topic.arn;
  }
}
