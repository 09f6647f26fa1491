"""Education: schools, courses, students and what they hand in."""

from apiforge.engine.domain.entry import noun

NOUNS = (
    noun("student", "name, email, grade_level:int?, enrolled_on:date?", parents="school?|class?",
         also="pupil, learner"),
    noun("teacher", "name, email, subject?", parents="school?|department?",
         also="instructor, tutor, professor, lecturer"),
    noun("course", "title, code?, description?, credits:int?, level:beginner/intermediate/advanced?",
         parents="teacher?|instructor?, department?|school?"),
    noun("lesson", "title, content?, position:int?, duration_minutes:int?",
         parents="course|module|class"),
    noun("module", "title, position:int?", parents="course"),
    noun("enrollment", "enrolled_on:date?, status:active/completed/dropped?, grade?",
         parents="course|class, student|user|member", also="enrolment"),
    noun("assignment", "title, description?, due_date?, max_points:int?", parents="course|class"),
    noun("submission", "content?, submitted_at?, score:num?", parents="assignment, student|user"),
    noun("grade", "score:num, letter?, graded_on:date?", parents="student, course|assignment"),
    noun("quiz", "title, time_limit_minutes:int?", parents="course?|lesson?"),
    noun("question", "text, points:int?, correct_answer?", parents="quiz|exam|survey|form?"),
    noun("answer", "text, is_correct:bool", parents="question, user?|student?"),
    noun("exam", "title, scheduled_on:date?, max_score:num?", parents="course|class"),
    noun("school", "name, address?, city?", also="university, college"),
    noun("classroom", "name, capacity:int?, building?", also="room number"),
    noun("class", "name, capacity:int?, starts_at?", parents="course?|teacher?|instructor?|trainer?",
         plural="classes", also="section, cohort"),
    noun("semester", "name, starts_on:date, ends_on:date", also="term"),
    noun("certificate", "title, issued_on:date, code?", parents="student|user, course?"),
    noun("attendance", "attended_on:date, present:bool", parents="student|member, class|lesson|event",
         plural="attendances", also="attendance record"),
)  # fmt: skip
