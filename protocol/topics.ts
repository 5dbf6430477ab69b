/** MQTT topic names of the control channel (DESIGN.md, "Control channel"). */
export const topics = {
  status: (node: string) => `edgewatch/${node}/status`,
  heartbeat: (node: string) => `edgewatch/${node}/heartbeat`,
  state: (node: string) => `edgewatch/${node}/state`,
  commands: (node: string) => `edgewatch/${node}/commands`,
  acks: (node: string) => `edgewatch/${node}/acks`,
  /** The node's incidents handled at the edge (node to cloud, QoS 1). */
  incidents: (node: string) => `edgewatch/${node}/incidents`,
  /** The node's signed edge rule set (cloud to node, retained). */
  rules: (node: string) => `edgewatch/${node}/rules`,
} as const;

/**
 * The collector's presence, retained `online`, `offline` as its Last Will: what an exporter calls its link
 * (a broker that answers while the collector is gone is no link to the cloud). `_` starts no node name.
 */
export const CLOUD_PRESENCE_TOPIC = 'edgewatch/_cloud/presence';

/** Wildcard subscriptions the collector uses for the whole fleet. */
export const fleetTopics = {
  status: 'edgewatch/+/status',
  heartbeat: 'edgewatch/+/heartbeat',
  state: 'edgewatch/+/state',
  acks: 'edgewatch/+/acks',
  incidents: 'edgewatch/+/incidents',
} as const;

export type TopicKind = keyof typeof fleetTopics | 'commands' | 'rules';

/** Splits `edgewatch/<node>/<kind>`; undefined for any other topic. */
export function parseTopic(topic: string): { node: string; kind: TopicKind } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== 'edgewatch' || !parts[1]) return undefined;
  const kind = parts[2];
  if (kind === 'status' || kind === 'heartbeat' || kind === 'state' || kind === 'commands' || kind === 'acks' || kind === 'incidents' || kind === 'rules') {
    return { node: parts[1], kind };
  }
  return undefined;
}
