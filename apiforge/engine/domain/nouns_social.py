"""Social and community: follows, likes, messages, groups, clubs, sports."""

from apiforge.engine.domain.entry import noun

NOUNS = (
    noun("message", "body, sent_at?, read:bool", parents="conversation|chat|channel|room?, "
         "sender?|user?"),
    noun("conversation", "title?, started_at?", also="chat, thread"),
    noun("like", "liked_at?", parents="post|photo|comment|video, user"),
    noun("follow", "followed_at?", parents="user"),
    noun("friendship", "since:date?, status:pending/accepted/blocked?", parents="user"),
    noun("notification", "message, read:bool, sent_at?", parents="user"),
    noun("club", "name, description?, founded_year:int?"),
    noun("forum", "name, description?"),
    noun("topic", "title, body?, pinned:bool", parents="forum|category?, user?"),
    noun("reply", "body, posted_at?",
         parents="topic|thread|post|comment|review, user?", plural="replies"),
    noun("poll", "question, closes_at?"),
    noun("option", "text, votes:int?", parents="poll|question"),
    noun("vote", "value:int?, voted_at?", parents="poll|option|post|proposal, user?|member?"),
    noun("survey", "title, description?, open:bool"),
    noun("response", "answers:list, submitted_at?", parents="survey|form, user?|respondent?"),
    noun("league", "name, sport?, season?"),
    noun("player", "name, jersey_number:int?, height:num?, weight:num?", parents="team"),
    noun("game", "title, genre?, platform?, release_year:int?, price:num?", also="video game"),
    noun("match", "played_on:date?, home_score:int?, away_score:int?, "
         "status:scheduled/live/finished?", parents="league?|tournament?", plural="matches",
         also="fixture"),
    noun("tournament", "name, starts_on:date?, ends_on:date?"),
    noun("coach", "name, email?, phone?", parents="team?"),
    noun("trainer", "name, email?, specialty?", also="personal trainer"),
    noun("badge", "name, description?, icon_url?"),
    noun("invitation", "email, status:pending/accepted/declined?, sent_at?",
         parents="event?|group?|team?|organization?", also="invite"),
)  # fmt: skip
