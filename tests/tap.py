# SPDX-License-Identifier: MIT
"""TAP output for the Python tests (meson's protocol : 'tap'): one line per
check, the reason under a failing one, the plan at the end."""


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, why=""):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name), flush=True)
        if not cond and why:
            for line in str(why).rstrip().splitlines():
                print("#   " + line)

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0
