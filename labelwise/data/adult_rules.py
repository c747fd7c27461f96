"""Income rules for the UCI Adult sample, written from its exploration.

Classes: 0 = "<=50K", 1 = ">50K". About 24% of people earn more than 50K, so most rules
vote "<=50K" on groups where that share is tiny (young, never married, part-time, little
schooling) and a few vote ">50K" on groups where it is high (capital gains, doctorates,
married managers). Vectorized helpers cover the simple thresholds; the combinations are
row-wise Python, as a Snorkel user would write them.
"""

from labelwise.labeling import ABSTAIN, in_range, is_in, labeling_function, threshold

LABELS = ["<=50K", ">50K"]
GOLD = "income"
NA_VALUES = ["?"]
LOW, HIGH = 0, 1

# ---- vectorized rules (no per-row Python)
young = threshold("age", "<", 26, LOW, name="young")
part_time = threshold("hours.per.week", "<", 35, LOW, name="part_time")
little_schooling = threshold("education.num", "<=", 8, LOW, name="little_schooling")
capital_gain = threshold("capital.gain", ">", 7000, HIGH, name="big_capital_gain")
capital_loss = in_range("capital.loss", 1800, 2600, HIGH, name="capital_loss_band")
not_married = is_in(
    "marital.status",
    ["Never-married", "Divorced", "Separated", "Widowed", "Married-spouse-absent"],
    LOW,
    name="not_married",
)
dependent = is_in(
    "relationship", ["Own-child", "Other-relative", "Unmarried"], LOW, name="dependent"
)
service_job = is_in(
    "occupation",
    ["Other-service", "Handlers-cleaners", "Priv-house-serv", "Farming-fishing"],
    LOW,
    name="service_job",
)
advanced_degree = is_in(
    "education", ["Doctorate", "Prof-school", "Masters"], HIGH, name="advanced_degree"
)


# ---- row-wise rules (Snorkel's calling convention)
@labeling_function()
def married_professional(x):
    married = x["marital.status"] in ("Married-civ-spouse", "Married-AF-spouse")
    if married and x.occupation in ("Exec-managerial", "Prof-specialty"):
        return HIGH
    return ABSTAIN


@labeling_function()
def married_graduate_full_time(x):
    if (
        x["marital.status"] == "Married-civ-spouse"
        and x["education.num"] >= 13
        and x["hours.per.week"] >= 40
    ):
        return HIGH
    return ABSTAIN


@labeling_function()
def self_employed_owner(x):
    if x.workclass == "Self-emp-inc" and x.age >= 35:
        return HIGH
    return ABSTAIN
