"""nginx from Debian as the collection's HTTPS data server: TLS on 127.0.0.1, WebDAV PUT,
each request's bearer token checked by the local Globus stand-in through ``auth_request``."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

CONFIG = """\
worker_processes 2;
user root;
error_log {work}/error.log warn;
pid {work}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    sendfile on;
    upstream globus {{
        server 127.0.0.1:{standin_port};
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        keepalive_requests 100000;
        client_max_body_size 0;
        client_body_buffer_size 1m;
        root {root};
        location / {{
            auth_request /_globus_auth;
            dav_methods PUT DELETE;
            create_full_put_path off;
            dav_access user:rw group:r all:r;
        }}
        location = /_globus_auth {{
            internal;
            proxy_pass https://globus/_standin/check/{collection};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_ssl_server_name on;
            proxy_ssl_name localhost;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate {ca};
        }}
    }}
}}
"""


class Nginx:
    def __init__(
        self,
        work: Path,
        root: Path,
        tls: tuple[Path, Path, Path],
        standin_port: int,
        collection: str,
    ) -> None:
        if shutil.which("nginx") is None:
            raise SystemExit("nginx is not installed: apt-get install nginx-light")
        self.work = work
        self.port = _free_port()
        work.mkdir(parents=True, exist_ok=True)
        ca, cert, key = tls
        self.config = work / "nginx.conf"
        self.config.write_text(
            CONFIG.format(
                work=work,
                port=self.port,
                cert=cert,
                key=key,
                ca=ca,
                root=root,
                standin_port=standin_port,
                collection=collection,
            )
        )

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    def __enter__(self) -> Nginx:
        subprocess.run(["nginx", "-c", str(self.config)], check=True)
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"nginx did not start: {(self.work / 'error.log').read_text()}")

    def __exit__(self, *exc: object) -> None:
        pid = int((self.work / "nginx.pid").read_text())
        subprocess.run(["kill", f"-{signal.SIGQUIT.value}", str(pid)], check=False)
        time.sleep(0.3)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
