"""The job lifecycle as a pure state machine: each fault scenario in a few lines."""

from emulator.engine import lifecycle as lc
from emulator.engine.errors import ALGORITHM_ERROR, CLIENT_ERROR, PING_FAILURE, Failure

BATCH_2 = Failure(ALGORITHM_ERROR, "a.csv: mini-batch 2 failed")
PING = Failure(PING_FAILURE, "j-1 answered 500 on /ping")


def started(*names: str) -> lc.JobLifecycle:
    job = lc.JobLifecycle()
    assert job.handle(lc.Submitted(names)) == [lc.StartInstances(names)]
    return job


def test_all_files_ok_completes_after_instances_stop():
    job = started("j-1", "j-2")
    assert job.handle(lc.InstanceHealthy("j-1")) == [lc.RunFiles("j-1")]
    assert job.handle(lc.InstanceHealthy("j-2")) == [lc.RunFiles("j-2")]
    job.handle(lc.FileFinished("j-1", "a.csv", ok=True))
    assert job.handle(lc.InstanceIdle("j-1")) == []
    assert job.handle(lc.InstanceIdle("j-2")) == [lc.StopInstances()]
    assert job.status == "InProgress"
    assert job.handle(lc.InstancesStopped()) == [lc.KeepOutputs(), lc.SetStatus("Completed")]


def test_a_failed_file_lets_the_others_finish_then_fails_the_job():
    job = started("j-1")
    job.handle(lc.InstanceHealthy("j-1"))
    assert job.handle(lc.FileFinished("j-1", "a.csv", ok=False, failure=BATCH_2)) == []
    job.handle(lc.FileFinished("j-1", "b.csv", ok=True))
    assert job.handle(lc.InstanceIdle("j-1")) == [lc.CancelWork(), lc.StopInstances()]
    assert job.handle(lc.InstancesStopped()) == [lc.KeepOutputs(), lc.SetStatus("Failed", BATCH_2)]


def test_never_healthy_instance_fails_the_job_and_stops_everything():
    job = started("j-1", "j-2")
    job.handle(lc.InstanceHealthy("j-2"))
    assert job.handle(lc.InstanceFailed("j-1", PING)) == [lc.CancelWork(), lc.StopInstances()]
    # a late stimulus from the healthy instance changes nothing
    assert job.handle(lc.InstanceIdle("j-2")) == []
    assert job.handle(lc.InstancesStopped()) == [lc.KeepOutputs(), lc.SetStatus("Failed", PING)]


def test_stop_goes_through_stopping_to_stopped_and_discards_outputs():
    job = started("j-1")
    job.handle(lc.InstanceHealthy("j-1"))
    assert job.handle(lc.StopRequested()) == [lc.SetStatus("Stopping"), lc.CancelWork(), lc.StopInstances()]
    assert job.status == "Stopping"
    # files cut short by the stop are not failures
    job.handle(lc.FileFinished("j-1", "a.csv", ok=False, failure=Failure(CLIENT_ERROR, "a.csv: the job was stopped")))
    assert job.handle(lc.StopRequested()) == []
    assert job.handle(lc.InstancesStopped()) == [lc.DiscardOutputs(), lc.SetStatus("Stopped")]


def test_stop_while_instances_already_stopping_does_not_stop_them_twice():
    job = started("j-1")
    job.handle(lc.InstanceIdle("j-1"))
    assert job.handle(lc.StopRequested()) == [lc.SetStatus("Stopping"), lc.CancelWork()]
    assert job.handle(lc.InstancesStopped()) == [lc.DiscardOutputs(), lc.SetStatus("Stopped")]


def test_terminal_state_ignores_everything():
    job = started("j-1")
    job.handle(lc.InstanceIdle("j-1"))
    job.handle(lc.InstancesStopped())
    assert job.status == "Completed"
    assert job.handle(lc.StopRequested()) == []
    assert job.handle(lc.InstanceFailed("j-1", PING)) == []


def test_failure_reason_is_the_first_failures_service_text_and_the_detail_counts_the_rest():
    job = started("j-1")
    job.handle(lc.FileFinished("j-1", "a.csv", ok=False, failure=Failure(CLIENT_ERROR, "a.csv: bad")))
    job.handle(lc.FileFinished("j-1", "b.csv", ok=False, failure=Failure(ALGORITHM_ERROR, "b.csv: bad")))
    job.handle(lc.InstanceIdle("j-1"))
    [keep, status] = job.handle(lc.InstancesStopped())
    assert keep == lc.KeepOutputs()
    assert status == lc.SetStatus(
        "Failed", Failure("ClientError: See job logs for more information",
                          "a.csv: bad (and 1 more failure(s); see the job log)"))
