// MQTT.js over WebSocket with `Accept: application/cbor` on the upgrade: a retained JSON
// record published by this client comes back to its subscription as CBOR.
// Usage: node ws_cbor.js PORT   (prints "<topic> <payload hex>" and exits 0)
const mqtt = require('mqtt');
const port = process.argv[2];
const client = mqtt.connect(`ws://127.0.0.1:${port}/mqtt`, {
  protocolVersion: 5,
  clientId: 'mqttjs-ws',
  wsOptions: { headers: { Accept: 'application/cbor' } },
  reconnectPeriod: 0,
  connectTimeout: 5000,
});
const timer = setTimeout(() => { console.error('timeout'); process.exit(2); }, 10000);
client.on('error', (e) => { console.error('error', e.message); process.exit(1); });
client.on('connect', () => {
  client.subscribe('Sensor/#', { qos: 1 }, (err) => {
    if (err) { console.error('subscribe', err.message); process.exit(1); }
    client.publish('Sensor/7', JSON.stringify({ temp: 21 }), { qos: 1, retain: true });
  });
});
client.on('message', (topic, payload) => {
  console.log(`${topic} ${payload.toString('hex')}`);
  clearTimeout(timer);
  client.end(false, () => process.exit(0));
});
