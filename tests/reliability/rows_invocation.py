"""Faults of /invocations: errors, time-outs, odd answers, retries (echo as a local process)."""

from __future__ import annotations

from tests.reliability.harness import Case, Fault, Outcome, job, lines

ONE_RETRY = {"ModelClientConfig": {"InvocationsMaxRetries": 1}}
SINGLE = {"BatchStrategy": "SingleRecord", "MaxConcurrentTransforms": 1}


def _output_is_input(case: Case, outcome: Outcome) -> None:
    assert (case.out / "a.csv.out").read_bytes() == (case.inp / "a.csv").read_bytes()


def _larger(case: Case) -> Outcome:
    case.write("a.bin", b"0123456789" * 1000)
    return case.run(case.request("answer-larger", TransformInput={"SplitType": "None"},
                                 TransformOutput={"AssembleWith": "None"}), {"ECHO_REPEAT": "3"})


def _retry_count(case: Case, outcome: Outcome) -> None:
    attempts = [line for line in outcome.data_log if line.endswith("Bad HTTP status received from algorithm: 500")]
    assert len(attempts) == 4, outcome.data_log  # the first try and 3 retries, each in the data log
    assert any("gave up after 4 attempt(s) (InvocationsMaxRetries=3)" in line for line in outcome.data_log)


ROWS = [
    Fault("500-once", "invocation", "one mini-batch answers 500 once",
          "retried (how often: InvocationsMaxRetries)",
          "retried after 0.2 s; output byte-identical; the failed attempt in the data log",
          "Bad HTTP status received from algorithm: 500", "Completed",
          job("500-once", {"ECHO_FAIL_FIRST_N": "1"}, records=6), outputs=("a.csv.out",), check=_output_is_input),
    Fault("500-always", "invocation", "every mini-batch answers 500",
          "Failed after the retries: \"AlgorithmError: See job logs\"",
          "Failed after InvocationsMaxRetries + 1 attempts; the file gets no output",
          "failed after 2 attempt(s) (InvocationsMaxRetries=1): Bad HTTP status received from algorithm: 500",
          "Failed", job("500-always", {"ECHO_FAIL_EVERY_N": "1"}, request=ONE_RETRY), outputs=()),
    Fault("4xx", "invocation", "the model refuses a mini-batch (415)",
          "Failed: \"ClientError: See job logs\"; the data log shows the answer",
          "Failed at once (a 4xx would only fail again: not retried), naming file, mini-batch and bytes",
          "answered HTTP 415", "Failed", job("refused", {"ECHO_REFUSE_EVERY_N": "1"}), outputs=()),
    Fault("too-slow", "invocation", "the model answers after InvocationsTimeoutInSeconds (1 s here)",
          "\"Unable to get response from algorithm\"; whether it retries is not documented",
          "retried like no answer, then Failed", "no answer within InvocationsTimeoutInSeconds=1", "Failed",
          job("too-slow", {"ECHO_LATENCY_MS": "2500"}, records=1,
              request={"ModelClientConfig": {"InvocationsTimeoutInSeconds": 1, "InvocationsMaxRetries": 0}}),
          outputs=()),
    Fault("answer-larger", "invocation", "the answer is three times larger than the mini-batch",
          "any 2xx body is the result", "Completed: the output holds the whole answer", "", "Completed",
          _larger, outputs=("a.bin.out",),
          check=lambda c, o: _thrice(c)),
    Fault("closed-mid-answer", "invocation", "every other answer breaks off halfway (connection closed)",
          "\"Unable to get response from algorithm\"; retried: unknown",
          "retried like no answer; output byte-identical", "Unable to get response from algorithm", "Completed",
          job("closed-mid-answer", {"ECHO_BREAK_EVERY_N": "2"}, records=6, request=SINGLE),
          outputs=("a.csv.out",), check=_output_is_input),
    Fault("closed-always", "invocation", "every answer breaks off halfway",
          "\"Unable to get response from algorithm\"", "Failed after the retries, saying so in plain words",
          "the answer broke off before its end: the model server closed the connection mid-answer", "Failed",
          job("closed-always", {"ECHO_BREAK_EVERY_N": "1"}, request=ONE_RETRY), outputs=()),
    Fault("retries-succeed", "invocation", "the first 3 requests answer 500, then the model recovers",
          "retried up to InvocationsMaxRetries (3 by default)", "Completed on the 4th attempt; output byte-identical",
          "Bad HTTP status received from algorithm: 500", "Completed",
          job("retries-succeed", {"ECHO_FAIL_FIRST_N": "3"}, records=1), outputs=("a.csv.out",),
          check=_output_is_input),
    Fault("retries-exhausted", "invocation", "the model answers 500 more often than InvocationsMaxRetries allows",
          "Failed: \"AlgorithmError: See job logs\"",
          "Failed; the FailureReason and the data log count the attempts",
          "failed after 4 attempt(s) (InvocationsMaxRetries=3)", "Failed",
          job("retries-exhausted", {"ECHO_FAIL_EVERY_N": "1"}, records=1), outputs=(), check=_retry_count),
]


def _thrice(case: Case) -> None:
    assert (case.out / "a.bin.out").read_bytes() == (case.inp / "a.bin").read_bytes() * 3
