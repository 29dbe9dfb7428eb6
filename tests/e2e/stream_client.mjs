// A WebSocket client for the e2e test (npm `ws`): connects to /v1/stream with an API key,
// subscribes to a channel, checks the application ping, prints "subscribed" once ready, then prints
// the first event it receives as one JSON line and exits 0. Exits 1 on any error or after 30 s.
// Usage: node stream_client.mjs WS_URL API_KEY CHANNEL
import WebSocket from "ws";

const [url, key, channel] = process.argv.slice(2);
const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` } });
const fail = (why) => {
  console.log(`error: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 30_000).unref();
socket.on("unexpected-response", (_request, response) => fail(`HTTP ${response.statusCode}`));
socket.on("error", (error) => fail(error.message));
socket.on("open", () => socket.send(JSON.stringify({ type: "subscribe", channels: [channel] })));
socket.on("message", (data) => {
  const message = JSON.parse(data.toString());
  if (message.type === "subscribed") {
    socket.send(JSON.stringify({ type: "ping" }));
  } else if (message.type === "pong") {
    console.log("subscribed");
  } else if (message.type === "event") {
    console.log(JSON.stringify(message));
    socket.close(1000);
    process.exit(0);
  } else {
    fail(`unexpected message ${data}`);
  }
});
