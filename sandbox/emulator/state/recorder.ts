/** What the sandbox's notification sinks received, and which topics and buses exist. */

export interface RecordedEvent {
  readonly EventId: string;
  readonly EventBusName: string;
  readonly Source: string;
  readonly DetailType: string;
  /** The Detail text parsed as JSON. */
  readonly Detail: Record<string, unknown>;
  readonly Time: Date;
  readonly Resources: readonly string[];
}

export interface RecordedMessage {
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly MessageAttributes: Readonly<Record<string, { DataType: string; StringValue?: string }>>;
  /** Sandbox time of the Publish. */
  readonly at: Date;
}

export class Recorder {
  readonly events: RecordedEvent[] = [];
  readonly notifications: RecordedMessage[] = [];
  /** Topic ARNs. */
  readonly topics = new Set<string>();
  /** Event bus names; `default` always exists. */
  readonly buses = new Set<string>(['default']);

  reset(): void {
    this.events.length = 0;
    this.notifications.length = 0;
  }
}
