#!/usr/bin/env python3
"""The language server's latency and memory (not a test).

1. Time from sending a `textDocument/didChange` (incremental) to receiving
   the `textDocument/publishDiagnostics` of that version, for a 4 KB
   Dockerfile, over 200 edits: median and 90th percentile. Measured from
   the client, so it includes the pipe and JSON both ways (an upper bound
   of the time in the server).
2. Peak RSS (VmHWM) of the server with 100 such documents open.

Usage: bench/server.py BINARY
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def dockerfile(number):
    """About 4 KB: stages, a leaky ARG, a credential file, many RUNs."""
    lines = [
        "# syntax=docker/dockerfile:1",
        f"FROM node:20 AS build{number}",
        "ARG NPM_TOKEN",
        "WORKDIR /app",
        "COPY package.json package-lock.json ./",
        'RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci',
        "ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9Q3RkT7x",
    ]
    step = 0
    while sum(len(line) + 1 for line in lines) < 3700:
        step += 1
        lines.append(
            f"RUN apt-get update && apt-get install -y --no-install-recommends pkg{step} "
            f"&& rm -rf /var/lib/apt/lists/* # step {step}"
        )
    lines += [
        "FROM gcr.io/distroless/nodejs20",
        f"COPY --from=build{number} /app /app",
        'CMD ["/app/index.js"]',
    ]
    text = "\n".join(lines) + "\n"
    return text


class Client:
    def __init__(self, binary, directory):
        self.process = subprocess.Popen(
            [binary, "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=directory
        )
        self.next_id = 0

    def send(self, message):
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self):
        length = None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise SystemExit("the server went away")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def request(self, method, params):
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id and "method" not in message:
                return message

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def published(self, uri, version=None):
        while True:
            message = self.receive()
            if message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                if params["uri"] == uri and (version is None or params.get("version") == version):
                    return params

    def peak_rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return None

    def close(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        self.process.wait(timeout=10)


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as directory:
        client = Client(binary, directory)
        client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})
        path = os.path.join(directory, "Dockerfile")
        text = dockerfile(0)
        with open(path, "w") as file:
            file.write(text)
        uri = "file://" + path
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": text}},
        )
        codes = sorted(d.get("code", "-") for d in client.published(uri)["diagnostics"])
        # The edit: the last digit of the `# step 1` comment, line 8.
        line = 7
        column = text.splitlines()[line].index("# step 1") + len("# step ")
        timings = []
        for edit in range(200):
            version = edit + 2
            start = time.perf_counter()
            client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [
                        {
                            "range": {
                                "start": {"line": line, "character": column},
                                "end": {"line": line, "character": column + 1},
                            },
                            "text": str(edit % 10),
                        }
                    ],
                },
            )
            client.published(uri, version)
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        print(f"document: {len(text)} bytes, findings {codes}")
        print(
            f"didChange -> publishDiagnostics over 200 edits: median {statistics.median(timings):.2f} ms, "
            f"p90 {timings[179]:.2f} ms, min {timings[0]:.2f} ms"
        )
        client.close()

        client = Client(binary, directory)
        client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})
        idle = client.peak_rss_kib()
        uris = []
        for number in range(100):
            path = os.path.join(directory, f"app{number}.dockerfile")
            text = dockerfile(number)
            with open(path, "w") as file:
                file.write(text)
            uri = "file://" + path
            uris.append(uri)
            client.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": text}},
            )
        waiting = set(uris)
        while waiting:
            message = client.receive()
            if message.get("method") == "textDocument/publishDiagnostics":
                waiting.discard(message["params"]["uri"])
        peak = client.peak_rss_kib()
        print(f"peak RSS: {idle / 1024:.1f} MiB after initialize, {peak / 1024:.1f} MiB with 100 documents open")
        client.close()


if __name__ == "__main__":
    main()
