"""Finance: accounts, invoices, payments, budgets."""

from apiforge.engine.domain.entry import noun

NOUNS = (
    noun("account", "name, balance:num, currency?, kind:checking/savings/credit?",
         parents="customer?|user?", also="bank account"),
    noun("transaction", "amount:num, kind:credit/debit, description?, occurred_at?",
         parents="account|wallet, category?"),
    noun("invoice", "number, amount:num, due_date, status:draft/sent/paid/overdue?",
         parents="customer|client|company, project?"),
    noun("invoice_line", "description, quantity:int, unit_price:num", parents="invoice",
         also="invoice item, line"),
    noun("payment", "amount:num, paid_at?, method:card/cash/bank_transfer?, "
         "status:pending/completed/failed/refunded?",
         parents="invoice|order|booking|reservation|subscription?, customer?|user?|member?"),
    noun("expense", "amount:num, description?, spent_on:date, category?",
         parents="user?|employee?|trip?"),
    noun("budget", "name, amount:num, period:monthly/yearly?, starts_on:date?",
         parents="user?|department?"),
    noun("wallet", "name, balance:num, currency?", parents="user"),
    noun("loan", "amount:num, interest_rate:num?, starts_on:date?, due_date?, returned:bool",
         parents="book|item|equipment, member|customer|borrower|user"),
    noun("tax_rate", "name, rate:num, country?"),
    noun("currency", "code, name, symbol?", plural="currencies"),
    noun("stock", "symbol, company_name?, price:num", also="share"),
    noun("portfolio", "name, description?", parents="user|investor"),
    noun("holding", "quantity:num, purchase_price:num?", parents="portfolio, stock"),
    noun("quote_request", "description, amount:num?, status:pending/sent/accepted/declined?",
         parents="customer|client", also="estimate"),
    noun("receipt", "amount:num, issued_at?, vendor_name?", parents="expense?|payment?|user?"),
    noun("donation", "amount:num, donated_on:date?, message?", parents="donor|user, campaign?"),
    noun("donor", "name, email, phone?"),
    noun("campaign", "name, goal_amount:num?, starts_on:date?, ends_on:date?"),
)  # fmt: skip
