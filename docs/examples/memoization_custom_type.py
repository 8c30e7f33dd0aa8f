# expect: UnmemoizableArgument: Sample
# expect: with id_for_memo registered: exec_done then memo_done
from dataclasses import dataclass

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.memo_hash import UnmemoizableArgument, id_for_memo


@dataclass
class Sample:
    name: str
    readings: list[float]


@python_app(cache=True)
def mean(sample):
    return sum(sample.readings) / len(sample.readings)


with parsl.load(Config()):
    # A cached app's arguments need a stable identity; Parsl knows built-in
    # types, File and paths, but not your classes.
    try:
        mean(Sample("a", [1.0, 2.0])).result()
    except UnmemoizableArgument as e:
        print("UnmemoizableArgument:", "Sample" if "Sample" in str(e) else e)

    # Teach it: return bytes that are equal exactly when two samples are.
    @id_for_memo.register(Sample)
    def _(sample: Sample) -> bytes:
        return id_for_memo((sample.name, sample.readings))

    first = mean(Sample("a", [1.0, 2.0]))
    first.result()
    second = mean(Sample("a", [1.0, 2.0]))
    second.result()
    print(f"with id_for_memo registered: {first.task_status()} then {second.task_status()}")
