import { randomUUID } from 'node:crypto';
import { HubConnectionBuilder, HttpTransportType, LogLevel } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { NODE_HUB_PATH, NodeHubMethods, PROTOCOL_VERSION, type NodeRegistration, type RegistrationResult } from '@krint/agent';

/**
 * A benchmark helper process: holds `count` idle node connections to a control plane with the
 * official SignalR client, each registered like a real node and kept alive by its pings.
 * Usage: tsx idle-nodes.ts <controlPlaneUrl> <token> <count>. Prints `ready <n>` when all are in.
 */
const [url, token, countText] = process.argv.slice(2);
const count = Number(countText);
if (!url || !token || !Number.isInteger(count) || count < 1) {
  console.error('usage: idle-nodes <url> <token> <count>');
  process.exit(2);
}

const connections = [];
let registered = 0;
// Connect in small waves so the control plane sees a realistic ramp, not one burst.
for (let wave = 0; wave < count; wave += 25) {
  const batch = Array.from({ length: Math.min(25, count - wave) }, async () => {
    const connection = new HubConnectionBuilder()
      .withUrl(`${url}${NODE_HUB_PATH}`, { accessTokenFactory: () => token, transport: HttpTransportType.WebSockets })
      // The node hub speaks MessagePack only, as real nodes do.
      .withHubProtocol(new MessagePackHubProtocol())
      .configureLogging(LogLevel.None)
      .build();
    await connection.start();
    const nodeId = randomUUID();
    const registration: NodeRegistration = {
      nodeId,
      name: `idle-${nodeId.slice(0, 8)}`,
      machineName: 'bench',
      os: 'linux',
      arch: process.arch,
      dockerVersion: '0',
      krintVersion: '0.1.0',
      protocolVersion: `${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor}`,
      engines: [],
    };
    const result = await connection.invoke<RegistrationResult>(NodeHubMethods.register, registration);
    if (!result.accepted) throw new Error(result.reason);
    registered += 1;
    connections.push(connection);
  });
  await Promise.all(batch);
}
console.log(`ready ${registered}`);
process.on('SIGTERM', () => process.exit(0));
setInterval(() => undefined, 60_000);
