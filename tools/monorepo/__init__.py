"""Repository maintenance code behind the scripts in ``tools/``.

``tools/components``, ``tools/release``, ``tools/lower-bounds`` and
``tools/new-plugin`` are thin entry points; the logic lives here, as typed
modules that ruff and ``mypy --strict`` check like any package code.
"""
