// A webhook receiver for the e2e test: verifies every delivery with the reference `standardwebhooks`
// library and logs one JSON line per request. Paths choose the answer:
//   /flaky  500 to the first delivery of each webhook-id (per path), 200 afterwards
//   /gone   410 (Cambista must disable the endpoint)
// The signing secret of path P is read, at request time, from DIR/secret-P (the endpoint is created
// after this receiver has a port). Usage: node webhook_receiver.mjs DIR; writes DIR/receiver.port.
import { createServer } from "node:http";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { Webhook } from "standardwebhooks";

const dir = process.argv[2];
const seen = new Map();
const server = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const path = request.url.replace(/^\//, "");
    const body = Buffer.concat(chunks).toString("utf8");
    let verified = false;
    let type = null;
    try {
      const secret = readFileSync(`${dir}/secret-${path}`, "utf8").trim();
      type = new Webhook(secret).verify(body, request.headers).type;
      verified = true;
    } catch (error) {
      verified = String(error.message || error);
    }
    const id = request.headers["webhook-id"];
    const count = (seen.get(`${path} ${id}`) || 0) + 1;
    seen.set(`${path} ${id}`, count);
    const status = path === "gone" ? 410 : path === "flaky" && count === 1 ? 500 : 200;
    appendFileSync(`${dir}/receiver.log`,
                   JSON.stringify({ path, id, count, status, verified, type }) + "\n");
    response.writeHead(status, { "content-type": "text/plain" });
    response.end(status === 200 ? "ok" : "no");
  });
});
server.listen(0, "127.0.0.1", () => writeFileSync(`${dir}/receiver.port`, String(server.address().port)));
