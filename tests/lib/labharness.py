"""The emulated device lab (`mamori-lab`) for the Python integration tests.

    text = moved_scenario("data/lab/demo-home.yaml", "127.73.0")   # the demo home on 127.73.0.x
    lab = Lab(lab_binary, text, tmp, name="creds-lab")              # runs until stop()
    lab.load_truth()                                                # `mamori-lab truth` records
    lab.stop()

Each test moves the lab to its own 127.x.0.0/24 so tests can run side by side; traffic stays on
loopback. The lab is our own child process: it is stopped by its PID (SIGTERM, then SIGKILL
after 10 s). A lab that exits or is not ready in time raises SystemExit with a FAIL line.
"""
import json
import os
import signal
import subprocess
import time

DEMO_NET = "127.66.0."  # where data/lab/*.yaml put their devices


def moved_scenario(path, net):
    """The scenario file's text with its devices moved from 127.66.0.x to `net`.x."""
    return open(path).read().replace(DEMO_NET, net + ".")


class Lab:
    def __init__(self, lab_binary, scenario_text, tmp, name="lab", ready_timeout=60):
        self.binary = lab_binary
        self.scenario = os.path.join(tmp, f"{name}.yaml")
        with open(self.scenario, "w") as f:
            f.write(scenario_text)
        ready = os.path.join(tmp, f"{name}.ready")
        self.proc = subprocess.Popen([lab_binary, "run", self.scenario, "--ready-file", ready],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(int(ready_timeout * 10)):
            if os.path.exists(ready) and os.path.getsize(ready) > 0:
                return
            if self.proc.poll() is not None:
                raise SystemExit("FAIL: mamori-lab exited: " + self.proc.stderr.read()[-2000:])
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"FAIL: mamori-lab not ready after {ready_timeout} s")

    def load_truth(self):
        """What the scenario's devices are and should be found to have (`mamori-lab truth`)."""
        p = subprocess.run([self.binary, "truth", self.scenario], capture_output=True, text=True, check=True)
        return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # our own child, by PID
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
