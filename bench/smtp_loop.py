"""The limit for workload 5, as its own process: one persistent smtplib connection sending
the same message to each recipient in turn.

    python -m bench.smtp_loop PORT MESSAGE_FILE RECIPIENTS_FILE SECONDS
Prints how many were sent and in how many seconds, from the connection to the last reply
(it stops after SECONDS if not done): the rate leaves out the interpreter's start.
"""

import smtplib
import sys
import time

port, message_file, recipients_file, seconds = sys.argv[1:5]
message = open(message_file, "rb").read()
recipients = open(recipients_file).read().split()
started = time.perf_counter()
until = started + float(seconds)
sent = 0
with smtplib.SMTP("127.0.0.1", int(port)) as smtp:
    for rcpt in recipients:
        smtp.sendmail("digest@127.0.0.1", [rcpt], message)
        sent += 1
        if time.perf_counter() > until:
            break
    elapsed = time.perf_counter() - started
print(sent, elapsed)
