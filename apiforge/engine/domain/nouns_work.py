"""Work and scheduling: tasks, projects, tickets, events and bookings."""

from apiforge.engine.domain.entry import noun

NOUNS = (
    noun("todo", "title, description?, completed:bool, due_date?, priority:low/medium/high?, "
         "tags:list", parents="user?|list?|project?", also="to do, todo item"),
    noun("task", "title, description?, status:todo/in_progress/done?, due_date?, "
         "priority:low/medium/high?", parents="project?, user?|assignee?|employee?"),
    noun("project", "name, description?, status:planned/active/completed/archived?, deadline?",
         parents="team?|client?|customer?|company?"),
    noun("milestone", "title, due_date?, completed:bool", parents="project"),
    noun("sprint", "name, starts_on:date, ends_on:date, goal?", parents="project|team"),
    noun("issue", "title, description?, status:open/in_progress/closed?, "
         "severity:minor/major/critical?", parents="project|repository|repo, user?|assignee?",
         also="bug"),
    noun("ticket", "subject, description?, status:open/pending/resolved/closed?, "
         "priority:low/normal/high/urgent?", parents="event?, customer?|user?|agent?"),
    noun("event", "title, starts_at, ends_at?, location?, capacity:int?",
         parents="venue?|organizer?|calendar?"),
    noun("venue", "name, address, capacity:int?"),
    noun("organizer", "name, email, phone?"),
    noun("attendee", "name, email", parents="event"),
    noun("registration", "registered_at?, status:pending/confirmed/cancelled?",
         parents="event|course|conference, attendee|user|participant|member"),
    noun("booking", "starts_at, ends_at?, status:pending/confirmed/cancelled?, notes?",
         parents="room|resource|space|table|court|car|vehicle|class|session, "
         "guest|customer|user|member|patient|client", also="reservation"),
    noun("appointment", "scheduled_at, reason?, status:booked/completed/cancelled?, notes?",
         parents="patient|client|customer|pet, doctor?|provider?|staff?|stylist?|vet?"),
    noun("calendar", "name, color?, timezone?", parents="user?"),
    noun("meeting", "title, starts_at, ends_at?, location?, agenda?", parents="team?|project?"),
    noun("shift", "starts_at, ends_at, role?",
         parents="employee|worker|volunteer, location?|store?"),
    noun("timesheet", "work_date:date, hours:num, notes?", parents="employee|user, project?",
         also="time entry, time log"),
    noun("reminder", "message, remind_at, done:bool", parents="user?|todo?|task?"),
    noun("habit", "name, frequency:daily/weekly/monthly?, streak:int?", parents="user?"),
    noun("goal", "title, target_date?, achieved:bool, description?", parents="user?|project?"),
    noun("job", "title, description?, location?, salary:num?, remote:bool, posted_on:date?",
         parents="company|employer|organization", also="job posting, opening, vacancy"),
    noun("application", "applied_on:date?, status:applied/interviewing/offered/rejected?, "
         "cover_letter?", parents="job|position, candidate|applicant|user",
         also="job application"),
    noun("interview", "scheduled_at, location?, outcome:pending/passed/failed?",
         parents="application|candidate|applicant"),
    noun("conference", "name, starts_on:date, ends_on:date?, city?"),
    noun("session", "title, starts_at, room?, speaker_name?", parents="conference|event"),
    noun("speaker", "name, bio?, email?"),
)  # fmt: skip
