"""The conversation's steps, one module per part of it. Importing this package imports every module in it, and each
registers its steps, actions and conditions (flows.engine.REGISTRY): a new step is a new module here, listed nowhere."""

import importlib
import pkgutil


def register_all() -> list[str]:
    """Import every module of this package (each registers itself on import); their names, in order."""
    names = sorted(module.name for module in pkgutil.iter_modules(__path__))
    for name in names:
        importlib.import_module(f"{__name__}.{name}")
    return names


register_all()
