"""People and organisations: who uses, works for or belongs to things."""

from apiforge.engine.domain.entry import noun

NOUNS = (
    noun("user", "username, email, full_name?, is_active:bool", also="account holder"),
    noun("person", "name, email?, phone?, birthday?", plural="people", also="individual"),
    noun("customer", "name, email, phone?, address?", also="client, buyer, shopper"),
    noun("employee", "first_name, last_name, email, job_title?, salary:num?, hired_on:date?",
         parents="department?", also="staff member, worker"),
    noun("department", "name, code?, budget:num?", parents="company?"),
    noun("team", "name, description?", parents="company?|organization?|league?"),
    noun("member", "name, email, joined_on:date?", parents="team?|club?|group?",
         also="subscriber"),
    noun("contact", "first_name, last_name?, email?, phone?, company_name?", parents="user?"),
    noun("author", "name, bio?, email?, website?", also="writer"),
    noun("organization", "name, website?, email?", also="organisation, org"),
    noun("company", "name, website?, industry?, founded_year:int?", also="business, firm"),
    noun("address", "street, city, postal_code?, country", parents="customer?|user?|person?"),
    noun("profile", "display_name, bio?, avatar_url?", parents="user"),
    noun("role", "name, description?"),
    noun("group", "name, description?"),
    noun("manager", "name, email, phone?", parents="department?"),
    noun("owner", "name, email?, phone?"),
    noun("volunteer", "name, email, phone?, available:bool", parents="organization?"),
    noun("candidate",
         "name, email, phone?, resume_url?, status:applied/interviewing/hired/rejected?",
         parents="job?|position?"),
    noun("applicant", "name, email, applied_on:date?, status:applied/interviewing/hired/rejected?",
         parents="job?|position?"),
    noun("vendor", "name, email?, phone?, website?", also="seller, merchant"),
)  # fmt: skip
