"""Storage for files that must never have a public URL (proofs, issued documents)."""

from django.core.files.storage import Storage, storages


class PrivateStorage(Storage):
    """Looks up STORAGES["private"] on every use, so a change of settings (tests, deployments) applies."""

    def __getattribute__(self, name: str):
        if name.startswith("__"):
            return object.__getattribute__(self, name)
        return getattr(storages["private"], name)


def private_storage() -> Storage:
    return PrivateStorage()
