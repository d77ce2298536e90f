"""How billing tells the owners of bills (visas, contracts) what happened, without importing them."""

from django.dispatch import Signal

# sent inside the transaction that records the payment; receivers run their own service
bill_paid = Signal()  # kwargs: bill
bill_expired = Signal()  # kwargs: bill
refund_completed = Signal()  # kwargs: refund
