"""nginx on loopback with a generated config: PUT via the dav module, GET with sendfile."""

import os
from pathlib import Path

from bench.procs import Service, free_port


def render_config(*, prefix: Path, port: int, as_root: bool) -> str:
    user = "user root;\n" if as_root else ""
    return f"""{user}daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {prefix}/www;
        client_max_body_size 0;
        location /put/ {{
            dav_methods PUT DELETE;
            create_full_put_path on;
            dav_access user:rw;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.www = prefix / "www"
        self.www.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = prefix / "nginx.conf"
        config.write_text(render_config(prefix=prefix, port=self.port, as_root=os.geteuid() == 0))
        argv = ["nginx", "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")]
        self.service = Service("nginx", argv, log=prefix / "nginx.out")
        self.service.wait_http(self.url("/"))

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.service.stop()
