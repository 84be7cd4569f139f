"""SIGTERM stops the whole all-in-one process, every API with it, also when
it arrives while the APIs are still starting (each actix server used to
listen for signals only once it ran, so a stop asked for early reached only
the servers already running and the process never exited)."""

import signal
import subprocess
import time

from conftest import Server, http


def test_sigterm_as_the_first_api_answers_stops_all_of_them(tmp_path):
    for attempt in range(3):
        srv = Server(tmp_path / f"cloud{attempt}")
        # Not waiting in start(): its 0.2 s polling would signal too late.
        srv.start(wait=False)
        proc = srv.proc
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    if http("GET", srv.auth_url).status == 200:
                        break
                except OSError:
                    time.sleep(0.002)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError(f"still running 20 s after SIGTERM:\n{srv.log_tail()}")
        assert code == 0, f"exit code {code}:\n{srv.log_tail()}"
        for url in (srv.auth_url, srv.compute_url, srv.image_url, srv.network_url):
            try:
                http("GET", url)
            except OSError:
                continue
            raise AssertionError(f"{url} still answers after the stop")
