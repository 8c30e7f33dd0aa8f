# expect: name run-7
# expect: first row x 1
# expect: norm 7
# expect: KeyError 'missing'
# expect: downstream: DependencyError caused by KeyError
import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.errors import DependencyError


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def norm1(self):
        return abs(self.x) + abs(self.y)


@python_app
def summary():
    return {"name": "run-7", "rows": [{"x": 1}, {"x": 3}]}


@python_app
def point(x, y):
    return Point(x, y)


@python_app
def double(v):
    return 2 * v


with parsl.load(Config()):
    s = summary()
    # Each lookup is a small task that runs once s completes; no result() needed yet.
    print("name", s["name"].result())
    print("first row x", s["rows"][0]["x"].result())
    # Attribute access works the same way; a lookup future can feed another app.
    norm = point(3, -4).norm1
    print("norm", norm.result()())
    # A failed lookup is that future's exception, and fails what depends on it.
    missing = s["missing"]
    print("KeyError", missing.exception())
    try:
        double(missing).result()
    except DependencyError as e:
        print("downstream: DependencyError caused by", type(e.root_cause).__name__)
