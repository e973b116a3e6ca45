"""gunicorn settings for faq-bot's web front: `gunicorn -c gunicorn.conf.py 'bot.app:create_app()'`.

Threaded workers (gthread): a client that sends its body slowly holds one thread, not a whole
worker process, so a couple of slow or hostile senders cannot keep GitHub's deliveries from being
acknowledged within its 10 s. Every value can be overridden on the command line or with
GUNICORN_CMD_ARGS. The worker that answers runs beside it: `python -m bot worker`.
"""

import os

bind = os.environ.get("FAQBOT_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("FAQBOT_WEB_PROCESSES", "2"))
worker_class = "gthread"
threads = int(os.environ.get("FAQBOT_WEB_THREADS", "16"))
# A request that has not finished in 30 s is stuck; GitHub gave up on it after 10 s anyway.
timeout = 30
graceful_timeout = 10
keepalive = 5
