"""Cold start per function: import time and first invocation, in a fresh interpreter.

``.venv/bin/python -m bench.cold_start [--runs 7] [--python .bench-venv/bin/python]``

``--python`` is the child interpreter (default: this one). ``make bench`` passes
``.bench-venv/bin/python``, a virtualenv with only what a deployed function has: the
layer's requirements plus boto3 (which the Lambda runtime provides) and pyyaml (for the
devstack's template reader). The dev venv also holds awscrt and pyOpenSSL (pulled in by
aws-sam-cli); botocore imports them when they are present, and Lambda's layer has
neither. The child finds ``crm_finance`` through ``PYTHONPATH=layers/crm_finance/python``
(no install), talks to the parent's stack over loopback (moto server, PostgreSQL, QBO
emulator), and needs neither moto nor pgserver. It runs with
``PYDANTIC_DISABLE_PLUGINS=__all__``, as template.yaml sets for every function.

For each function a new ``python`` process (with the local stack's environment) imports
the function module with ``lambda_runtime.load_function`` (the naive build: by file path,
the same way) and invokes it once with a realistic event. ``time.perf_counter`` inside the
child separates the two; the child prints its figures as JSON. The devstack harness
(``lambda_runtime`` and the template it reads) is imported before the clock starts, as
the Lambda runtime's own bootstrap is not part of a function's cold start.

Each function gets one discarded run first (bytecode and page cache warm), then
``--runs`` timed runs, interleaved across functions; the table shows medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from typing import Any

from bench.common import (
    ADMIN,
    NAIVE_APP,
    REPO_ROOT,
    WEBHOOK,
    WORKER,
    api_event,
    invoke_webhook,
    load_functions,
    new_lead,
    payment_event,
    print_section,
    purge_queue,
    running_stack,
    table,
    verdict,
)

NAIVE = "naive one-module webhook"
WATCHED = ("quickbooks", "prometheus_client", "stripe", "psycopg", "boto3")
MUST_NOT_IMPORT = {WEBHOOK: ("quickbooks", "prometheus_client")}
TARGET_RATIO = 0.60
MARKER = "BENCH_COLD_START "

# Runs in the child. Reads its spec (target, event, watched, ...) as JSON from stdin.
CHILD = r"""
import importlib.util, json, sys, time

spec = json.loads(sys.stdin.read())
WATCHED = spec["watched"]
chains = {}
if spec.get("trace"):
    import traceback

    class _Tracer:
        def find_spec(self, name, path=None, target=None):
            if name in WATCHED and name not in chains:
                chains[name] = [
                    f"{f.filename}:{f.lineno} ({f.line})"
                    for f in traceback.extract_stack()[:-1]
                    if not f.filename.startswith("<frozen")
                ]
            return None

    sys.meta_path.insert(0, _Tracer())

# The harness, as the Lambda runtime's bootstrap: not timed.
from crm_finance.devstack.lambda_runtime import LambdaContext, function_spec, load_function

target = spec["target"]
if target != "naive":
    handler_name = function_spec(target).handler.split(".", 1)[1]  # reads template.yaml
baseline = len(sys.modules)

t0 = time.perf_counter()
if target == "naive":
    ispec = importlib.util.spec_from_file_location("naive_webhook_app", spec["naive_app"])
    module = importlib.util.module_from_spec(ispec)
    sys.modules["naive_webhook_app"] = module
    ispec.loader.exec_module(module)
    handler = module.lambda_handler
else:
    handler = getattr(load_function(target), handler_name)
t1 = time.perf_counter()
result = handler(spec["event"], LambdaContext(function_name=str(target)))
t2 = time.perf_counter()

print(spec["marker"] + json.dumps({
    "import_s": t1 - t0,
    "first_s": t2 - t1,
    "modules": len(sys.modules) - baseline,
    "loaded": {name: name in sys.modules for name in WATCHED},
    "result": result,
    "chains": chains,
}), flush=True)
"""


# The webhook's first call, stage by stage, with the handler's own adapters (its
# ``ports``); the imports the first call triggers lazily are timed as stages of their own.
STAGES_CHILD = r"""
import json, sys, time

spec = json.loads(sys.stdin.read())
from crm_finance.devstack.lambda_runtime import function_spec, load_function

function_spec("StripeWebhookFunction")
stages = {}

def stage(name, fn):
    t = time.perf_counter()
    value = fn()
    stages[name] = time.perf_counter() - t
    return value

module = stage("import the function module (creates its SQS client)",
               lambda: load_function("StripeWebhookFunction"))
ports = module.ports
stage("import stripe (first verify does)", lambda: __import__("stripe"))
raw = stage("verify: Secrets Manager client + GetSecretValue + HMAC",
            lambda: ports["verifier"].verify(spec["body"], spec["signature"]))
from crm_finance.domain.stripe_events import classify_event
c = stage("classify (pydantic)", lambda: classify_event(raw))
stage("import psycopg (first INSERT does)", lambda: __import__("psycopg"))
stage("inbox INSERT: connect + INSERT (one round trip)",
      lambda: ports["inbox"].record(c.event.id, c.event.type, c.event.livemode, c.payment,
                                    c.stored_payload, c.status, c.reason))
stage("SQS send_message (first request)", lambda: ports["queue"].enqueue(c.event.id))
print(spec["marker"] + json.dumps(stages), flush=True)
"""

LIBRARIES = {
    "stripe": "import stripe",
    "boto3 + one SQS client": "import boto3; boto3.session.Session().client('sqs')",
    "psycopg": "import psycopg",
    "quickbooks (+ objects)": "import quickbooks.objects.invoice, quickbooks.objects.payment",
    "prometheus_client": "import prometheus_client",
    "aws_lambda_powertools.event_handler": "import aws_lambda_powertools.event_handler",
    "pydantic": "import pydantic",
    "yoyo": "import yoyo",
    "tenacity": "import tenacity",
}
LIBRARY_CHILD = (
    "import sys, time; t = time.perf_counter(); exec(sys.argv[1]); print(time.perf_counter() - t)"
)


LAYER_PATH = REPO_ROOT / "layers" / "crm_finance" / "python"
PROBE = r"""
import importlib.util, json, sys
print(json.dumps({
    "version": sys.version.split()[0],
    "prefix": sys.prefix,
    "present": {m: importlib.util.find_spec(m) is not None
                for m in ("awscrt", "OpenSSL", "moto", "pgserver")},
    "crm_finance": importlib.util.find_spec("crm_finance").origin,
}))
"""


def child_env(stack: Any) -> dict[str, str]:
    """The stack's environment, with the layer on the path, as a deployed function has it."""
    env = {**os.environ, **stack.info["env"]}
    env["PYTHONPATH"] = str(LAYER_PATH)
    env["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    return env


def describe_python(stack: Any, python: str) -> str:
    """Which interpreter the children run, and what botocore would find in it."""
    info = json.loads(
        subprocess.run(
            [python, "-c", PROBE],
            capture_output=True,
            text=True,
            env=child_env(stack),
            cwd=REPO_ROOT,
            check=True,
            timeout=60,
        ).stdout
    )
    present = ", ".join(
        f"{name} {'present' if found else 'absent'}" for name, found in info["present"].items()
    )
    origin = os.path.relpath(info["crm_finance"], REPO_ROOT)
    return (
        f"child interpreter: {python} (Python {info['version']}, prefix {info['prefix']});"
        f" {present}; crm_finance from {origin}"
    )


def library_costs(stack: Any, python: str, runs: int = 3) -> dict[str, float]:
    """Each library alone in a fresh interpreter (they share dependencies, so the costs
    overlap and do not add up)."""
    env = child_env(stack)
    costs = {}
    for name, statement in LIBRARIES.items():
        samples = []
        for _ in range(runs + 1):
            out = subprocess.run(
                [python, "-c", LIBRARY_CHILD, statement],
                capture_output=True,
                text=True,
                env=env,
                check=True,
                timeout=60,
            ).stdout
            samples.append(float(out.strip().splitlines()[-1]))
        costs[name] = statistics.median(samples[1:])
    return costs


def _child(
    stack: Any,
    target: str,
    event: dict[str, Any],
    *,
    python: str,
    trace: bool = False,
    code: str = CHILD,
) -> dict:
    proc = subprocess.run(
        [python, "-c", code],
        input=json.dumps(
            {
                "target": target,
                "event": event,
                "trace": trace,
                "watched": WATCHED,
                "naive_app": str(NAIVE_APP),
                "marker": MARKER,
                "body": event.get("body"),
                "signature": (event.get("headers") or {}).get("stripe-signature"),
            }
        ),
        capture_output=True,
        text=True,
        env=child_env(stack),
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise RuntimeError(f"{target} child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


def _check(target: str, result: Any) -> None:
    """A cold start only counts if its first invocation did the real work."""
    if target == WORKER:
        ok = isinstance(result, dict) and result.get("batchItemFailures") == []
    else:
        ok = isinstance(result, dict) and result.get("statusCode") == 200
    if not ok:
        raise RuntimeError(f"{target}: first invocation failed: {str(result)[:500]}")


# -- realistic first events, a fresh one per run ------------------------------------------
def _webhook_event(stack: Any) -> dict[str, Any]:
    return api_event(stack, payment_event(stack, new_lead(stack, tag="cold").id, 100_000))


def _worker_event(stack: Any) -> dict[str, Any]:
    """An SQS batch with the message the webhook enqueued for a new lead's payment."""
    event = payment_event(stack, new_lead(stack, 100_000, tag="cold-worker").id, 100_000)
    invoke_webhook(api_event(stack, event))  # stored as 'received', as the worker expects
    return {
        "Records": [
            {
                "messageId": f"cold-{event['id']}",
                "receiptHandle": f"cold-{event['id']}",
                "body": json.dumps({"event_id": event["id"]}),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:crm-finance-invoices",
                "awsRegion": "us-east-1",
            }
        ]
    }


def _admin_event(stack: Any) -> dict[str, Any]:
    from crm_finance.devstack.event_files import prepare_event

    with open(REPO_ROOT / "events" / "admin_api" / "list_open_leads.json") as fh:
        return prepare_event(json.load(fh), stack.info)


def _naive_event(stack: Any) -> dict[str, Any]:
    lead = new_lead(stack, 100_000, tag="cold-naive")
    return api_event(stack, payment_event(stack, lead.id, 100_000))


TARGETS = {
    WEBHOOK: (WEBHOOK, _webhook_event),
    WORKER: (WORKER, _worker_event),
    ADMIN: (ADMIN, _admin_event),
    NAIVE: ("naive", _naive_event),
}


def run(
    stack: Any, *, runs: int = 7, python: str | None = None, details: bool = True
) -> dict[str, Any]:
    """Cold starts with ``python`` as the child interpreter (default: this one).

    ``details=False`` prints only the per-function table (``python -m bench`` uses it for
    the dev venv, side by side with the Lambda-like venv)."""
    python = python or sys.executable
    interpreter = describe_python(stack, python)
    load_functions(WEBHOOK)  # the parent stores the worker's events through the webhook
    samples: dict[str, list[dict]] = {name: [] for name in TARGETS}
    for attempt in range(runs + 1):
        for name, (target, make_event) in TARGETS.items():
            figures = _child(stack, target, make_event(stack), python=python)
            _check(name, figures["result"])
            if attempt > 0:  # the first round only warms bytecode and page caches
                samples[name].append(figures)
    purge_queue(stack)  # the worker children consumed their events without SQS

    med = {
        name: {
            key: statistics.median(s[key] for s in runs_)
            for key in ("import_s", "first_s", "modules")
        }
        for name, runs_ in samples.items()
    }
    for m in med.values():
        m["total_s"] = m["import_s"] + m["first_s"]
    rows = []
    for name, runs_ in samples.items():
        m, loaded = med[name], runs_[-1]["loaded"]
        rows.append(
            [
                name,
                f"{m['import_s'] * 1000:.0f}",
                f"{m['first_s'] * 1000:.0f}",
                f"{m['total_s'] * 1000:.0f}",
                f"{m['modules']:.0f}",
                *("yes" if loaded[w] else "no" for w in WATCHED),
            ]
        )
    ours, naive = med[WEBHOOK], med[NAIVE]
    ratio, import_ratio = ours["total_s"] / naive["total_s"], ours["import_s"] / naive["import_s"]
    notes = [
        f"webhook cold start (import + first invocation) = {ratio:.0%} of the naive build's "
        f"(import alone {import_ratio:.0%}); target <= {TARGET_RATIO:.0%}: "
        f"{verdict(ratio <= TARGET_RATIO)}"
    ]
    for fn, forbidden in MUST_NOT_IMPORT.items():
        pulled = [w for w in forbidden if samples[fn][-1]["loaded"][w]]
        notes.append(
            f"{fn} imports neither {' nor '.join(forbidden)}: {verdict(not pulled)}"
            + (f" (pulled in: {', '.join(pulled)})" if pulled else "")
        )
        if pulled:
            chains = _child(stack, fn, _webhook_event(stack), python=python, trace=True)["chains"]
            for module in pulled:
                notes.append(f"\nimport chain that pulls in {module} (outermost first):")
                notes += [f"    {frame}" for frame in _shorten(chains.get(module, []))]
    print_section(
        f"Cold start per function (fresh interpreter; medians of {runs} runs)\n\n{interpreter}",
        table(
            [
                "function",
                "import ms",
                "first invocation ms",
                "import + first ms",
                "modules imported",
                *(f"{w} loaded" for w in WATCHED),
            ],
            rows,
        )
        + "\n\n"
        + "\n".join(notes),
    )
    result = {"python": python, "interpreter": interpreter, "samples": samples, "medians": med}
    if not details:
        return result
    costs = library_costs(stack, python)
    first_call = [
        _child(stack, WEBHOOK, _webhook_event(stack), python=python, code=STAGES_CHILD)
        for _ in range(4)
    ][1:]
    purge_queue(stack)
    stage_rows = [
        [name, f"{statistics.median(r[name] for r in first_call) * 1000:.0f}"]
        for name in first_call[0]
    ]
    stage_rows.append(
        [
            "total",
            f"{statistics.median(sum(r.values()) for r in first_call) * 1000:.0f}",
        ]
    )
    print_section(
        "StripeWebhookFunction cold start, stage by stage (fresh interpreter, median of 3)",
        table(["stage", "ms"], stage_rows)
        + "\n\nThe handler's own adapters called in order, without the Powertools resolver"
        " (its import is in the first row).",
    )
    print_section(
        "What the libraries cost to import, each alone in a fresh interpreter (median of 3)",
        table(["import", "ms"], [[name, f"{s * 1000:.0f}"] for name, s in costs.items()])
        + "\n\nShared dependencies (botocore, urllib3, requests, pydantic) are paid once per "
        "process,\nso these overlap: the naive build's extra libraries cost less than their sum.",
    )
    return result


def _shorten(frames: list[str]) -> list[str]:
    prefixes = sorted({str(REPO_ROOT) + "/", *(p + "/" for p in sys.path if p)}, key=len)
    out = []
    for frame in frames:
        for prefix in reversed(prefixes):
            if frame.startswith(prefix):
                frame = frame[len(prefix) :]
                break
        out.append(frame)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="the child interpreter (default: this one); make bench: .bench-venv/bin/python",
    )
    args = parser.parse_args()
    with running_stack() as stack:
        run(stack, runs=args.runs, python=args.python)


if __name__ == "__main__":
    main()
