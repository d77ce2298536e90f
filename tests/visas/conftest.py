"""The visa fixtures (visa_domain.py) for every test module in this folder, without importing them."""

from .visa_domain import (  # noqa: F401
    _visa_domain_setup,
    apply,
    decide,
    household,
    officer,
    pay,
    quick_pdfs,
    replace,
    second_officer,
    supervisor,
)
