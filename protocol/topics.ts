/** MQTT topic names of the control channel (DESIGN.md, "Control channel"). */
export const topics = {
  status: (node: string) => `edgewatch/${node}/status`,
  heartbeat: (node: string) => `edgewatch/${node}/heartbeat`,
  state: (node: string) => `edgewatch/${node}/state`,
  commands: (node: string) => `edgewatch/${node}/commands`,
  acks: (node: string) => `edgewatch/${node}/acks`,
} as const;

/** Wildcard subscriptions the collector uses for the whole fleet. */
export const fleetTopics = {
  status: 'edgewatch/+/status',
  heartbeat: 'edgewatch/+/heartbeat',
  state: 'edgewatch/+/state',
  acks: 'edgewatch/+/acks',
} as const;

export type TopicKind = keyof typeof fleetTopics | 'commands';

/** Splits `edgewatch/<node>/<kind>`; undefined for any other topic. */
export function parseTopic(topic: string): { node: string; kind: TopicKind } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== 'edgewatch' || !parts[1]) return undefined;
  const kind = parts[2];
  if (kind === 'status' || kind === 'heartbeat' || kind === 'state' || kind === 'commands' || kind === 'acks') {
    return { node: parts[1], kind };
  }
  return undefined;
}
