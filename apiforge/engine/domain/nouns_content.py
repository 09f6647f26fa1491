"""Content and media: posts, articles, books, music and the things people publish."""

from apiforge.engine.domain.entry import noun

NOUNS = (
    noun("post", "title, body, published:bool, tags:list", parents="author|user|blogger?, blog?",
         also="blog post, entry"),
    noun("comment", "body, posted_at?", parents="post|article|photo|video|issue|ticket|task, "
         "user?|author?|commenter?"),
    noun("article", "headline, body, published_at?, tags:list", parents="author|writer|user?, "
         "category?|section?"),
    noun("blog", "name, description?", parents="user?|author?"),
    noun("book", "title, isbn?, published_year:int?, genre?, price:num?, pages:int?",
         parents="author|writer, publisher?", also="novel"),
    noun("publisher", "name, country?, website?"),
    noun("page", "title, slug, body, published:bool", also="web page"),
    noun("tag", "name, color?", also="label"),
    noun("note", "title, body?, pinned:bool, tags:list", parents="user?|notebook?"),
    noun("notebook", "name, description?", parents="user?"),
    noun("bookmark", "url, title?, tags:list", parents="user?|folder?"),
    noun("link", "url, title?, slug?, clicks:int?", parents="user?", also="short link"),
    noun("movie", "title, release_year:int?, genre?, runtime_minutes:int?, rating:num?",
         parents="director?", also="film"),
    noun("director", "name, birthday?, nationality?"),
    noun("actor", "name, birthday?, nationality?"),
    noun("song", "title, duration_seconds:int?, genre?, track_number:int?",
         parents="album|artist, artist?", also="track"),
    noun("album", "title, release_year:int?, genre?", parents="artist|band"),
    noun("artist", "name, country?, genre?", also="musician, band"),
    noun("playlist", "name, description?, public:bool", parents="user?"),
    noun("podcast", "title, host?, feed_url?, language?"),
    noun("episode", "title, episode_number:int?, duration_minutes:int?, published_at?",
         parents="podcast|show|series|season"),
    noun("video", "title, url, duration_seconds:int?, views:int?", parents="channel?|user?"),
    noun("channel", "name, description?", parents="user?"),
    noun("photo", "url, caption?, taken_at?", parents="album?|user?", also="picture, image"),
    noun("recipe", "name, ingredients:list, instructions?, prep_time_minutes:int?, servings:int?, "
         "difficulty:easy/medium/hard?", parents="user?|chef?|cook?, category?"),
    noun("ingredient", "name, quantity?, unit?", parents="recipe"),
    noun("document", "title, content?, file_url?", parents="user?|folder?|project?", also="doc"),
    noun("folder", "name", parents="user?"),
    noun("newsletter", "subject, body, sent_at?"),
    noun("faq", "question, answer, published:bool", also="faq entry"),
    noun("quote", "text, author_name?, source?"),
)  # fmt: skip
