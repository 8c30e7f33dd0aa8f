"""Log configurations: ``Config(initialize_logging=...)`` with a policy object, as in Parsl.

``parsl.logconfigs.file.FileLogging`` (a ``.log`` file per component),
``parsl.logconfigs.json.JSONLogging`` (one JSON object per record, with the
records' ``parsl.*`` attributes) and ``parsl.logconfigs.noop.NoopLogging``
(nothing); subclass :class:`~parsl.logconfigs.base.LogConfig` for your own.
"""
