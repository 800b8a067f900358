// Posts a body to a URL with Node.js's own `http` client, TRIES times, each
// on a new connection, and prints one line per try: the response status, or
// the error code the client saw instead (EPIPE, ECONNRESET, ...).
//
// Like most clients, it sends the request head first and the body after it,
// so a server that answers early (404, 413) and closes while the body is
// still arriving makes the client fail to write instead of reading the answer.
//
//   node early_answers.js URL BODY_BYTES TRIES [chunked]
//
// With `chunked`, the body is sent without a Content-Length, in 16 KiB chunks.
'use strict';

const http = require('http');

const [, , target, bytes, tries, framing] = process.argv;
const chunked = framing === 'chunked';
const body = Buffer.alloc(Number(bytes), 0x20);

function once() {
    return new Promise((resolve) => {
        let settled = false;
        const settle = (line) => {
            if (!settled) {
                settled = true;
                resolve(line);
            }
        };
        const req = http.request(target, {
            method: 'POST',
            agent: false,
            headers: chunked
                ? { 'content-type': 'application/json' }
                : { 'content-type': 'application/json', 'content-length': body.length },
        });
        req.setTimeout(10000, () => req.destroy(new Error('timeout')));
        req.on('response', (res) => {
            settle(String(res.statusCode));
            res.resume();
        });
        req.on('error', (err) => settle(err.code || err.message));
        req.flushHeaders();
        setImmediate(() => {
            if (chunked) {
                for (let at = 0; at < body.length; at += 16 * 1024) {
                    req.write(body.subarray(at, at + 16 * 1024));
                }
                req.end();
            } else {
                req.end(body);
            }
        });
    });
}

(async () => {
    for (let i = 0; i < Number(tries); i += 1) {
        console.log(await once());
    }
})();
