# expect: 5400 1
# expect: WalltimeError walltime='soon' is not valid
from parsl.argument_checks import check_int
from parsl.errors import ConfigurationError
from parsl.jobs.walltime import walltime_to_seconds

print(walltime_to_seconds("01:30:00"), check_int("nodes_per_block", 1, 1))
try:
    walltime_to_seconds("soon")
except ConfigurationError as e:
    print(type(e).__name__, str(e).split(":")[0])
