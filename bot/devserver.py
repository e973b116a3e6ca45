"""`python -m bot serve`: the web front and a worker thread in one process, for local development.

werkzeug's threaded server, on the embedded defaults (SQLite in the working directory; dry run
without GitHub credentials). Production runs gunicorn and `python -m bot worker` instead.
"""

from __future__ import annotations

import dataclasses

from werkzeug.serving import make_server

from bot.app import create_app
from bot.settings import Settings


def serve(host: str = "127.0.0.1", port: int | None = None, insecure: bool = False,
          settings: Settings | None = None) -> int:
    settings = settings or Settings.from_env()
    if insecure:
        settings = dataclasses.replace(settings, insecure_no_signature=True)
    app = create_app(settings, start_worker=True)
    server = make_server(host, port if port is not None else settings.port, app, threaded=True)
    mode = "INSECURE (signatures not checked)" if settings.insecure_no_signature and not settings.webhook_secrets \
        else "signatures checked"
    posting = "DRY RUN (nothing is posted to GitHub)" if settings.dry_run else f"posting to {settings.api_url}"
    print(f"faq-bot listening on http://{host}:{server.server_port}/webhook; {mode}; {posting}; "
          f"database {settings.database}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0
