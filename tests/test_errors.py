import pytest

from ganimate.errors import GanimateError, run_script


def test_run_script_turns_a_user_error_into_one_line_and_status_1(capsys):
    def bad():
        raise GanimateError("checkpoint not found: x.pt")

    with pytest.raises(SystemExit) as exit_info:
        run_script(bad)
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "error: checkpoint not found: x.pt\n"


def test_run_script_runs_main_and_lets_other_errors_through():
    seen = []
    run_script(lambda: seen.append(1))
    assert seen == [1]
    with pytest.raises(ValueError):
        run_script(lambda: int("x"))
