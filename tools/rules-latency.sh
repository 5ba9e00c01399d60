#!/bin/bash
# Latency of tally serve's rule reads and writes over HTTP (docs/API.md, "The rule log in the
# service"): starts its own noida-db broker and `tally serve` (noauth), then times N rounds of
# a hashmap write followed by the read of it, 5N list reads and 5N quotes; stops both after.
# usage: tools/rules-latency.sh [TALLY_BINARY] [LABEL] [ROUNDS]   (default .build/release/tally)
set -u
BIN=$(realpath "${1:-.build/release/tally}"); LABEL=${2:-rules}; N=${3:-20}
NOIDA=${NOIDA_DB_BINARY:-$(python3 -c 'import noida_db, os; print(os.path.join(os.path.dirname(noida_db.__file__), "noida-db"))')}
D=$(mktemp -d /tmp/tally-rules-latency-XXXX)
trap 'kill $(cat $D/serve.pid 2>/dev/null) $(cat $D/broker.pid 2>/dev/null) 2>/dev/null; sleep 1; rm -rf $D' EXIT
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$NOIDA" start --only kafka --kafka-port $PORT --host 127.0.0.1 --data-dir $D/data >$D/broker.log 2>&1 </dev/null &
echo $! > $D/broker.pid
sleep 3
cat > $D/metrics.yaml <<M
idle_timeout: PT2S
metrics:
  volume.size: {unit: GiB, aggregation: max, period: PT1H, grace: PT10M, retention: P2D, metadata: [volume_type]}
M
cat > $D/tally.yaml <<C
kafka:
  bootstrap: 127.0.0.1:$PORT
  inputs:
    - {topic: metering.sample, format: ceilometer}
state:
  path: $D/state
metrics: $D/metrics.yaml
api: {auth: noauth}
C
cd $D
$BIN serve --config $D/tally.yaml --listen 127.0.0.1:0 >$D/serve.log 2>&1 &
echo $! > $D/serve.pid
for i in $(seq 100); do grep -q "listening" $D/serve.log && break; sleep 0.2; done
URL=$(grep -o 'http://127.0.0.1:[0-9]*' $D/serve.log | head -1)
python3 - "$URL" "$LABEL" "$N" <<'PY'
import sys, json, time, urllib.request
url, label, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def req(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(r) as resp: return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e: return e.code, e.read().decode()
h = "/v1/rating/module_config/hashmap"
s, b = req("POST", h + "/services", {"name": "volume.size"})
assert s == 201, (s, b)
sid = json.loads(b)["service_id"]
rt = []
for i in range(n):
    t = time.perf_counter()
    s, b = req("POST", h + "/mappings", {"service_id": sid, "cost": "0.%d" % (i + 1), "type": "flat", "tenant_id": "p%d" % i})
    assert s == 201, (s, b)
    mid = json.loads(b)["mapping_id"]
    s, b = req("GET", h + "/mappings/" + mid)
    from decimal import Decimal; assert s == 200 and Decimal(json.loads(b)["cost"]) == Decimal("0.%d" % (i + 1)), (s, b)
    rt.append(time.perf_counter() - t)
rd = []
for i in range(n * 5):
    t = time.perf_counter()
    s, b = req("GET", h + "/mappings?service_id=" + sid)
    assert s == 200 and len(json.loads(b)["mappings"]) == n, (s, b[:200])
    rd.append(time.perf_counter() - t)
qt = []
for i in range(n * 5):
    t = time.perf_counter()
    s, b = req("POST", "/v1/rating/quote", {"resources": [{"service": "volume.size", "volume": "2", "desc": {}}]})
    assert s == 200, (s, b)
    qt.append(time.perf_counter() - t)
def stats(xs):
    xs = sorted(xs); return "median %.1f ms, p90 %.1f ms, max %.1f ms" % (xs[len(xs)//2]*1000, xs[int(len(xs)*0.9)]*1000, xs[-1]*1000)
print("%s: write+read round trip (%d): %s" % (label, len(rt), stats(rt)))
print("%s: read mappings (%d): %s" % (label, len(rd), stats(rd)))
print("%s: quote (%d): %s" % (label, len(qt), stats(qt)))
PY
