"""A real HTTP server on 127.0.0.1 that receives webhook deliveries and answers as scripted."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.headers, body))
        status = self.server.answers.pop(0) if self.server.answers else 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, *args):
        pass


class Receiver:
    """`answers` are the status codes to reply with, in order; 200 once they run out. `body` goes with each."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.received, self.server.answers, self.server.body = [], [], b""
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/tryon"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def received(self) -> list:
        return self.server.received

    def answer(self, *statuses: int, body: bytes = b"") -> None:
        self.server.answers[:] = statuses
        self.server.body = body

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class HangingReceiver:
    """A storefront whose server hangs: it accepts connections on 127.0.0.1, reads nothing, never answers."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.socket.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/hooks/tryon"
        self.connections: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while not self.stopping.is_set():
            try:
                self.connections.append(self.socket.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=5)
        for connection in [*self.connections, self.socket]:
            connection.close()
