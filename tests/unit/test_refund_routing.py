"""Where refund money goes (oms.domain.refunds): rooms per provider payment, then the plan."""

from __future__ import annotations

from oms.domain.refunds import ProviderPayment, RefundMade, plan_refund, refund_rooms


def test_rooms_are_newest_first_less_what_was_refunded_and_skip_balance_and_unpaid() -> None:
    payments = [
        ProviderPayment("p1", "alipay", succeeded=True, counted=10000),
        ProviderPayment("p2", "card", succeeded=True, counted=800),
        ProviderPayment("p3", "balance", succeeded=True, counted=500),
        ProviderPayment("p4", "wechat", succeeded=False, counted=0),
    ]
    refunds = [RefundMade("p1", 3000), RefundMade("p1", 1000), RefundMade("p2", 900)]
    assert refund_rooms(payments, refunds) == [("p2", 0), ("p1", 6000)]


def test_the_plan_sends_the_balance_share_and_what_no_provider_takes_to_the_balance() -> None:
    plan = plan_refund(5000, [("p2", 800), ("p1", 3000)], balance_share=700)
    assert plan.provider == [("p2", 800), ("p1", 3000)]
    assert plan.to_balance == 1200  # 700 used at checkout + 500 no provider payment can take
    assert sum(part for _, part in plan.provider) + plan.to_balance == 5000


def test_the_plan_asks_the_named_payment_first() -> None:
    plan = plan_refund(1000, [("p2", 800), ("p1", 3000)], first="p1")
    assert plan.provider == [("p1", 1000)]
    assert plan.to_balance == 0
