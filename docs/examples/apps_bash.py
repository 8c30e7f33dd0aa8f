# expect: exit code 0
# expect: stdout: a b c
# expect: lines in sorted.txt: 3
# expect: BashExitFailure: exit code 3
# expect: MissingOutputs: ['never.txt']
import parsl
from parsl import File, bash_app
from parsl.app.errors import BashExitFailure, MissingOutputs
from parsl.config import Config


@bash_app
def echo(*words, stdout=parsl.AUTO_LOGNAME, stderr=parsl.AUTO_LOGNAME):
    # The function returns the command line; bash runs it.
    return "echo " + " ".join(words)


@bash_app
def sort_lines(inputs=(), outputs=(), stdout=None):
    return f"sort {inputs[0]} > {outputs[0]}"


@bash_app
def fail(code):
    return f"exit {code}"


@bash_app
def forget(outputs=()):
    return "true"  # succeeds but does not create outputs[0]


with open("words.txt", "w") as f:
    f.write("pear\napple\nfig\n")

with parsl.load(Config()):
    fut = echo("a", "b", "c")
    print("exit code", fut.result())
    with open(fut.stdout) as f:
        print("stdout:", f.read().strip())

    sorted_file = sort_lines(inputs=[File("words.txt")], outputs=[File("sorted.txt")])
    sorted_file.result()
    with open(sorted_file.outputs[0].result()) as f:
        print("lines in sorted.txt:", len(f.readlines()))

    try:
        fail(3).result()
    except BashExitFailure as e:
        print("BashExitFailure: exit code", e.exitcode)

    try:
        forget(outputs=[File("never.txt")]).result()
    except MissingOutputs as e:
        print("MissingOutputs:", [str(o) for o in e.outputs])
