"""gunicorn settings for faq-bot's web front: `gunicorn -c gunicorn.conf.py 'bot.app:create_app()'`.

Threaded workers (gthread): a client that sends its body slowly holds one thread, not a whole
worker process, so slow or hostile senders cannot keep GitHub's deliveries from being
acknowledged within its 10 s. With gunicorn's default sync worker, 2 processes serve 2 requests
at a time: 2 clients trickling a body hold both until the 30 s timeout kills them, and a signed
delivery waits behind them (tests/test_slow_clients.py, README "Running it for real").

worker_connections = threads: a process takes a connection only when one of its threads is free.
With gunicorn's default of 1,000, a process whose threads are all held by slow clients still
accepts connections and queues them behind those clients while the other process has threads to
spare. One unlucky process was enough: a delivery got no answer within 10 s in 1 of 3 runs with
16 slow clients, and in 5 of 9 runs with 24. Now a busy process leaves the connection in the
listen backlog for the other one, and it takes slow clients on every thread of both processes
(2 x 16) to delay a delivery: with 24 and 31 slow clients it was acknowledged in 0.01 s, with 34
it got no answer in 12 s. Keep-alive is off for the same reason: an idle kept-alive connection
would need a connection slot beyond the threads. Each request costs a new TCP connection instead.

Against many more slow clients than threads, what helps is a proxy in front that buffers whole
requests before passing them on (nginx does by default).

Every value can be overridden on the command line or with GUNICORN_CMD_ARGS; change the thread
count with FAQBOT_WEB_THREADS rather than --threads, so that worker_connections follows it. The worker that
answers runs beside it: `python -m bot worker`.
"""

import os

bind = os.environ.get("FAQBOT_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("FAQBOT_WEB_PROCESSES", "2"))
worker_class = "gthread"
threads = int(os.environ.get("FAQBOT_WEB_THREADS", "16"))
worker_connections = threads
keepalive = 0
# The arbiter restarts a process that has not checked in for 30 s. A sync process is stuck in its
# one request; a gthread process checks in from its main loop, so this catches a hung process,
# not a slow client: a client that keeps trickling holds its thread for as long as it trickles.
timeout = 30
graceful_timeout = 10
