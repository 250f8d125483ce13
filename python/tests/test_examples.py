"""(a) every seed example renders to a file `sbgw -t` accepts; (b) with the same meaning as
the hand-written config/examples file: sbgw normalises both to the same configuration and
compiles the same policies (`sbgw -p`), so every decision is the same."""

from __future__ import annotations

import re
import unittest

from sbgw import Network, PortBinding, Sandbox, render_config

from seed_examples import EXAMPLES, GATEWAY, PORT
from support import dump_example, normalise, run_sbgw


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


class SeedExamples(unittest.TestCase):
    """One test per example and question, generated below."""

    maxDiff = None

    def check_accepted(self, example) -> None:
        proc = run_sbgw("-t", render_config(GATEWAY, example.build()))
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (0, "api.conf: ok\n", ""))

    def check_same_as_example(self, example) -> None:
        proc = run_sbgw("-p", render_config(GATEWAY, example.build()))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        want = normalise(dump_example(example.conf))
        got = normalise(proc.stdout)
        self.assertIn("compiled policies:", got)
        self.assertEqual(got, want, f"rendered {example.name} differs from config/examples/{example.conf}")


for _ex in EXAMPLES:
    setattr(SeedExamples, f"test_accepted_{_slug(_ex.name)}",
            lambda self, ex=_ex: self.check_accepted(ex))
    setattr(SeedExamples, f"test_same_policy_as_{_slug(_ex.conf)}",
            lambda self, ex=_ex: self.check_same_as_example(ex))


class RenderingIsDeterministic(unittest.TestCase):
    def test_same_objects_same_text(self):
        for ex in EXAMPLES:
            self.assertEqual(render_config(GATEWAY, ex.build()), render_config(GATEWAY, ex.build()), ex.name)

    def test_mapping_form_is_tcp_on_loopback(self):
        # The seed: "Mapping form binds TCP to 127.0.0.1". Rendered as the file's
        # [ host, guest ] pairs; sbgw must read it as the explicit binding.
        mapping = run_sbgw("-p", render_config(GATEWAY, [Sandbox("api", PORT, Network(ports={8080: 80, 8443: 443}))]))
        explicit = run_sbgw("-p", render_config(GATEWAY, [Sandbox("api", PORT, Network(
            ports=(PortBinding.tcp(8080, 80), PortBinding.tcp(8443, 443))))]))
        self.assertEqual(mapping.returncode, 0, mapping.stderr)
        self.assertIn("ports: 127.0.0.1:8080/tcp->80 127.0.0.1:8443/tcp->443", mapping.stdout)
        self.assertEqual(normalise(mapping.stdout), normalise(explicit.stdout))

    def test_comparison_can_fail(self):
        # The dump comparison is only evidence if a different policy shows up in it.
        other = [Sandbox("api", PORT, Network.allow_all())]
        proc = run_sbgw("-p", render_config(GATEWAY, other))
        self.assertNotEqual(normalise(proc.stdout), normalise(dump_example("public-only.conf")))


if __name__ == "__main__":
    unittest.main()
