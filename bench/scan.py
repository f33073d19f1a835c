"""The limit for workload 2, run as its own process: read the whole log through a
server-side cursor, in position order, decoding each event's JSON. Prints the count."""

import os
import sys

import orjson
import psycopg
from psycopg.types.json import set_json_loads

# The rebuild decodes payloads with orjson (timeline/projections.py): so does the limit.
set_json_loads(orjson.loads)

with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    count = 0
    with conn.cursor(name="scan") as cur:
        cur.itersize = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
        cur.execute(
            "SELECT position, stream_id, version, type, schema_version, data, metadata, "
            "recorded_at FROM timeline_event ORDER BY position"
        )
        for row in cur:
            # psycopg decodes jsonb (with orjson, above); touch the payload like a projector would.
            count += bool(row[5]) + bool(row[6])
    print(count // 2)
