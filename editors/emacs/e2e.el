;;; e2e.el --- Emacs + eglot against the real kg-ls, driven by keys  -*- lexical-binding: t -*-

;;; Commentary:

;; Run by editors/emacs/e2e.sh after the README's init.el, in batch mode:
;;   emacs --batch -l ~/.emacs.d/init.el -l editors/emacs/e2e.el
;; Every action is keys, run through the command loop with `execute-kbd-macro' (C-x C-f,
;; typing, C-M-i, C-x o/TAB/RET in *Completions*, M-x eldoc, C-h ., M-., C-M-., M-x
;; kg-ls-search and RET in its buffer); only the checks read state back.  Every wait has a timeout.  Exits non-zero when a check fails.
;;
;; Environment (set by e2e.sh): KG_E2E_DEMO (a copy of examples/demo, no .git anywhere
;; above it), KG_E2E_NESTED (another copy, inside a folder that has a .git) and KG_E2E_TERRAPHIM
;; (a workspace of the Terraphim concept files, where `middleware' is claimed by two concepts).

;;; Code:

(require 'cl-lib)

(defvar e2e-failures 0)

(defun e2e-check (what ok &optional detail)
  "Report WHAT as passed when OK, else as failed, with DETAIL."
  (message "%s emacs: %s%s" (if ok "ok  " "FAIL") what
           (if detail (format " (%s)" detail) ""))
  (unless ok (cl-incf e2e-failures))
  ok)

(defun e2e-idle ()
  "Run the idle timers, as Emacs does when the user stops typing.
Batch mode never becomes idle, and eglot (sending changes to the server) and eldoc
(showing documentation at point) work from idle timers."
  (dolist (timer (copy-sequence timer-idle-list))
    (when (memq timer timer-idle-list)
      (timer-event-handler timer))))

(defun e2e-wait (secs pred)
  "Wait up to SECS seconds, serving processes and idle timers, until PRED is non-nil.
Returns PRED's last value."
  (let ((end (+ (float-time) secs)) value)
    (while (and (not (setq value (funcall pred))) (< (float-time) end))
      (accept-process-output nil 0.05)
      (e2e-idle))
    value))

(defun e2e-keys (keys)
  "Press KEYS (`kbd' syntax) in the selected window."
  (execute-kbd-macro (kbd keys)))

(defun e2e-type (text)
  "Type TEXT, one key per character."
  (execute-kbd-macro (string-to-vector text)))

(defun e2e-line ()
  (buffer-substring-no-properties (line-beginning-position) (line-end-position)))

(defun e2e-open (file)
  "Open FILE with C-x C-f and wait until eglot manages it; return the server or nil."
  (e2e-keys (concat "C-x C-f " file " RET"))
  (e2e-wait 20 (lambda () (and (bound-and-true-p eglot--managed-mode)
                               (eglot-current-server)))))

(defun e2e-completions ()
  "The candidates the *Completions* window shows, or nil when it shows none."
  (let ((win (get-buffer-window "*Completions*")))
    (when win
      (with-current-buffer (window-buffer win)
        (save-excursion
          (goto-char (point-min))
          (let (items (pos (point)))
            (while (setq pos (next-single-property-change pos 'mouse-face))
              (when (get-text-property pos 'mouse-face)
                (push (buffer-substring-no-properties
                       pos (or (next-single-property-change pos 'mouse-face) (point-max)))
                      items)))
            (nreverse items)))))))

(defun e2e-complete (text)
  "Type TEXT on a new line and press C-M-i; return the candidates shown.
When C-M-i completes the text without showing candidates (one candidate, or a common
prefix), it is pressed again, as a user would to see the rest; when there is still no
list, the result is the line."
  (e2e-keys "M-> RET")
  (e2e-type text)
  (e2e-wait 1 (lambda () nil))
  (e2e-keys "C-M-i")
  (or (e2e-wait 3 #'e2e-completions)
      (unless (equal (e2e-line) text)
        ;; Pressed again right after, C-M-i lists what is left ("Complete, but not
        ;; unique" when it follows another command): one macro keeps `last-command'.
        (e2e-keys "C-M-i C-M-i")
        (e2e-wait 3 #'e2e-completions))
      (list (e2e-line))))

(defun e2e-close-completions ()
  (let ((win (get-buffer-window "*Completions*")))
    (when win (delete-window win))))

(defun e2e-pick (candidate)
  "Choose CANDIDATE in *Completions* with keys: C-x o, TAB until it, RET."
  (e2e-keys "C-x o")
  (when (equal (buffer-name) "*Completions*")
    (let ((n 0) found)
      (while (and (not found) (< n 200))
        (e2e-keys "TAB")
        (cl-incf n)
        (setq found (equal candidate
                           (buffer-substring-no-properties
                            (point) (or (next-single-property-change (point) 'mouse-face)
                                        (point-max))))))
      (when found (e2e-keys "RET"))
      found)))

(defun e2e-short (list)
  (mapconcat #'identity (seq-take list 8) ", "))

(defun e2e-imenu-names (index)
  "Every name in the imenu INDEX, nested menus included."
  (cl-loop for entry in index
           when (consp entry)
           append (cons (car entry)
                        (and (listp (cdr entry)) (not (markerp (cdr entry)))
                             (e2e-imenu-names (cdr entry))))))

(defun e2e-root ()
  (expand-file-name (project-root (eglot--project (eglot-current-server)))))

(defun e2e-search (query want)
  "Run M-x kg-ls-search QUERY until *kg-ls search* has a line matching WANT.
The full-text index may still be building when the first query comes; a user would ask
again.  Returns the buffer's text, or the last error."
  (let ((end (+ (float-time) 20)) text)
    (while (progn
             (setq text
                   (condition-case err
                       (progn
                         ;; One macro: the prompt reads the query from it.
                         (execute-kbd-macro
                          (vconcat (kbd "M-x kg-ls-search RET") query (kbd "RET")))
                         (let ((b (get-buffer "*kg-ls search*")))
                           (and b (with-current-buffer b (buffer-string)))))
                     (error (format "error: %s" (error-message-string err)))))
             (and (not (and text (string-match-p want text)))
                  ;; A server without the request: asking again does not help.
                  (not (and text (string-match-p "has no kg-ls/search" text)))
                  (< (float-time) end)))
      (e2e-wait 0.5 (lambda () nil)))
    text))

(defun e2e-main ()
  (let ((demo (file-name-as-directory (getenv "KG_E2E_DEMO")))
        (nested (file-name-as-directory (getenv "KG_E2E_NESTED")))
        (terraphim (file-name-as-directory (getenv "KG_E2E_TERRAPHIM")))
        words)
    (message "-- emacs: %s, eglot %s" emacs-version
             (locate-library "eglot"))

    ;; The example, opened from a folder under it, with no .git anywhere above.
    (e2e-check "eglot starts kg-ls for docs/notes.md" (e2e-open (concat demo "docs/notes.md"))
               (format "%s" major-mode))
    (unless (eglot-current-server) (error "no server; see *EGLOT events*"))
    (e2e-check "without .git the project root is the folder with .kg-ls.toml"
               (equal (e2e-root) demo) (e2e-root))

    ;; Completion: C-M-i after `async r' lists the multi-word terms.
    (setq words (e2e-complete "Configure tokio before you pick an async r"))
    (e2e-check "C-M-i after \"async r\" lists \"async rust\" and \"async runtime\""
               (and (member "async rust" words) (member "async runtime" words)) (e2e-short words))
    (e2e-close-completions)
    (setq words (e2e-complete "Pick an async ru"))
    (e2e-check "C-M-i after \"async ru\" lists \"async runtime\"" (member "async runtime" words)
               (e2e-short words))
    (e2e-pick "async runtime")
    (e2e-check "choosing it writes \"Pick an async runtime\"" (equal (e2e-line) "Pick an async runtime")
               (format "%s in %s" (e2e-line) (buffer-name)))
    (e2e-close-completions)

;; Terminology checks: the example's graph says to avoid "async engine".  Typing it
    ;; gets a flymake warning at the words; M-x eglot-code-actions on it writes
    ;; "async runtime", and the warning goes.
    (e2e-keys "M-> RET")
    (e2e-type "The async engine is fast")
    (let ((diag (e2e-wait 10 (lambda ()
                               (cl-find-if (lambda (d) (string-match-p "avoided term" (flymake-diagnostic-text d)))
                                           (flymake-diagnostics (line-beginning-position) (line-end-position)))))))
      (e2e-check "typing \"async engine\" gets a flymake warning at the words"
                 (and diag (eq (flymake-diagnostic-type diag) 'eglot-warning)
                      (equal (buffer-substring-no-properties (flymake-diagnostic-beg diag) (flymake-diagnostic-end diag))
                             "async engine"))
                 (if diag (format "%s: %s" (flymake-diagnostic-type diag) (flymake-diagnostic-text diag))
                   (format "%S" (flymake-diagnostics)))))
    (e2e-keys "C-a M-f M-f")
    ;; eglot 1.9's M-x eglot-code-action-quickfix only returns the actions (its commands call
    ;; `eglot-code-actions' as a function); M-x eglot-code-actions asks, and RET takes the
    ;; preferred fix.  One macro: the prompt reads the RET from it.
    (execute-kbd-macro (vconcat (kbd "M-x eglot-code-actions RET") (kbd "RET")))
    (e2e-check "M-x eglot-code-actions RET writes \"The async runtime is fast\""
               (e2e-wait 5 (lambda () (equal (e2e-line) "The async runtime is fast"))) (e2e-line))
    (e2e-check "and the warning goes"
               (e2e-wait 10 (lambda () (null (flymake-diagnostics (line-beginning-position) (line-end-position)))))
               (format "%S" (flymake-diagnostics (line-beginning-position) (line-end-position))))

    ;; Hover: with point on `tokio', eldoc shows its definition; C-h . shows the buffer.
    (e2e-keys "M-< C-s tokio RET M-b")
    (let ((doc (e2e-wait 10 (lambda ()
                              (let ((b (get-buffer " *eldoc*")))
                                (and b (with-current-buffer b
                                         (and (string-match-p "asynchronous runtime" (buffer-string))
                                              (buffer-string)))))))))
      (e2e-check "eldoc on \"tokio\" shows its definition" doc
                 (and doc (substring doc 0 (min 60 (length doc))))))
    (e2e-keys "C-h .")
    (let ((win (and (buffer-live-p eldoc--doc-buffer) (get-buffer-window eldoc--doc-buffer))))
      (e2e-check "C-h . shows the eldoc buffer" win)
      (when win (delete-window win)))

    ;; Go to definition: M-. on `tokio' opens kg/runtime/tokio.md at its first line.
    (let ((from (current-buffer)))
      (e2e-keys "M-.")
      (let ((file (e2e-wait 10 (lambda () (and buffer-file-name
                                               (string-suffix-p "/kg/runtime/tokio.md" buffer-file-name)
                                               buffer-file-name)))))
        (e2e-check "M-. on \"tokio\" goes to kg/runtime/tokio.md line 1"
                   (and file (= (line-number-at-pos) 1))
                   (format "%s:%d" buffer-file-name (line-number-at-pos))))
      (e2e-keys "M-,")
      (e2e-check "M-, comes back" (eq (current-buffer) from) (buffer-name)))

    ;; References: M-? (xref-find-references) on `tokio' (eglot takes the identifier at point)
    ;; lists its mentions in the documents in *xref*.
    (e2e-keys "M-< C-s tokio RET M-b")
    (e2e-keys "M-?")
    (let ((refs (e2e-wait 10 (lambda ()
                               (let ((b (get-buffer "*xref*")))
                                 (and b (with-current-buffer b
                                          (and (string-match-p "getting-started\\.md" (buffer-string))
                                               (string-match-p "architecture\\.md" (buffer-string))
                                               (buffer-string)))))))))
      (e2e-check "M-? on \"tokio\" lists its mentions in docs/getting-started.md and docs/architecture.md"
                 refs (let ((b (get-buffer "*xref*")))
                        (if b (with-current-buffer b (substring (buffer-string) 0 (min 200 (buffer-size))))
                          (buffer-name)))))
    (when (get-buffer "*xref*") (kill-buffer "*xref*"))
    (e2e-keys "C-x b notes.md RET")
    (delete-other-windows)

    ;; Workspace symbols: C-M-. (xref-find-apropos) `tkrt'.
    (e2e-keys "C-M-. tkrt RET")
    (let ((hit (e2e-wait 10 (lambda ()
                              (or (and buffer-file-name
                                       (string-suffix-p "tokio runtime.md" buffer-file-name)
                                       buffer-file-name)
                                  (let ((b (get-buffer "*xref*")))
                                    (and b (with-current-buffer b
                                             (string-match-p "tokio runtime" (buffer-string))
                                             "*xref* lists it"))))))))
      (e2e-check "C-M-. tkrt finds the tokio runtime concept" hit
                 (or hit (let ((b (get-buffer "*xref*"))) (and b (with-current-buffer b (buffer-string)))))))
    (when (equal (buffer-name) "*xref*") (e2e-keys "q"))
    (e2e-keys "C-x b notes.md RET")
    (delete-other-windows)

    ;; Outline: imenu on kg/runtime/tokio.md (what M-x imenu offers) lists the concept's
    ;; synonyms, related concepts and properties.
    (when (e2e-open (concat demo "kg/runtime/tokio.md"))
      (let ((names (e2e-imenu-names
                    (e2e-wait 10 (lambda () (ignore-errors (imenu--make-index-alist t)))))))
        (e2e-check "imenu on kg/runtime/tokio.md lists its synonyms, related concepts and properties"
                   (cl-every (lambda (n) (member n names)) '("tokio-rs" "tokio crate" "join set" "category"))
                   (e2e-short names))))
    (e2e-keys "C-x b notes.md RET")
    (delete-other-windows)

    ;; Document highlight: eglot asks for it with eldoc, when Emacs is idle after point
    ;; moved.  On `Tokio' in a new document, the mentions of tokio (its synonyms too) get
    ;; `eglot-highlight-symbol-face' overlays, and nothing else does: not `tokio runtime'
    ;; (another concept), not `tokio' in code.
    (when (e2e-open (concat demo "docs/highlight.md"))
      (let* ((line "Tokio and tokio-rs, not tokio runtime; `tokio` in code; the tokio crate too.")
             (want (mapcar (lambda (word)
                             (let ((at (string-match (regexp-quote word) line)))
                               (list word at (+ at (length word)))))
                           '("Tokio" "tokio-rs" "tokio crate")))
             (overlays
              (lambda ()
                (sort (cl-loop for ov in (overlays-in (point-min) (point-max))
                               when (eq (overlay-get ov 'face) 'eglot-highlight-symbol-face)
                               collect (list (buffer-substring-no-properties (overlay-start ov) (overlay-end ov))
                                             (- (overlay-start ov) (line-beginning-position))
                                             (- (overlay-end ov) (line-beginning-position))))
                      (lambda (a b) (< (nth 1 a) (nth 1 b))))))
             got)
        (e2e-type line)
        (e2e-wait 1 (lambda () nil))
        (e2e-keys "C-a")
        (setq got (e2e-wait 10 (lambda () (let ((o (funcall overlays))) (and (= (length o) (length want)) o)))))
        (e2e-check "idle on \"Tokio\", eglot highlights Tokio, tokio-rs and tokio crate, not tokio runtime or code"
                   (equal got want) (format "got %S, want %S" (or got (funcall overlays)) want))
        (e2e-keys "C-e")
        (e2e-type " Then")
        (e2e-check "typing elsewhere on the line clears them"
                   (e2e-wait 5 (lambda () (null (funcall overlays)))) (format "%S" (funcall overlays)))
        (e2e-keys "C-x C-s")))
    (e2e-keys "C-x b notes.md RET")
    (delete-other-windows)

    ;; `[[': C-M-i right after it lists terms that close the link.
    (setq words (e2e-complete "See [["))
    (e2e-check "C-M-i after \"[[\" lists terms closed with \"]]\""
               (and words (cl-every (lambda (w) (string-suffix-p "]]" w)) words)) (e2e-short words))
    (e2e-close-completions)
    (e2e-keys "C-x b notes.md RET")
    (delete-other-windows)

    ;; Knowledge-base search: `kilobytes' is in the prose of docs/search.md and is no
    ;; concept's term, so only the full-text index finds it; its line has em dashes before
    ;; the word (one character, one UTF-16 unit each).
    (let* ((file (concat demo "docs/search.md"))
           (at (with-temp-buffer
                 (insert-file-contents file)
                 (search-forward "kilobytes")
                 (list (line-number-at-pos)
                       (- (match-beginning 0) (line-beginning-position)))))
           (want (format "^docs/search\\.md:%d:%d: How term search works: .*kilobytes"
                         (car at) (1+ (cadr at))))
           (text (e2e-search "kilobytes" want)))
      (e2e-check "M-x kg-ls-search kilobytes lists docs/search.md at the word"
                 (and text (string-match-p want text))
                 (and text (substring text 0 (min 300 (length text)))))
      (e2e-check "the search buffer is shown"
                 (get-buffer-window "*kg-ls search*"))
      (when (get-buffer-window "*kg-ls search*")
        (select-window (get-buffer-window "*kg-ls search*"))
        (goto-char (point-min))
        (e2e-keys "C-s docs/search.md: RET C-a RET")
        (let ((file-name (e2e-wait 10 (lambda () (and buffer-file-name
                                                     (string-suffix-p "/docs/search.md" buffer-file-name)
                                                     buffer-file-name)))))
          (e2e-check "RET on it opens docs/search.md at \"kilobytes\""
                     (and file-name (= (line-number-at-pos) (car at))
                          (= (- (point) (line-beginning-position)) (cadr at))
                          (looking-at "kilobytes"))
                     (format "%s:%d:%d" buffer-file-name (line-number-at-pos)
                             (- (point) (line-beginning-position)))))))
    ;; `promise' is a synonym of the concept future: the documents about futures come too,
    ;; and the heading says why.
    (let ((text (e2e-search "promise" "^docs/cancellation\\.md:")))
      (e2e-check "M-x kg-ls-search promise lists docs/cancellation.md (about futures)"
                 (and text (string-match-p "^docs/cancellation\\.md:" text))
                 (and text (substring text 0 (min 300 (length text)))))
      (e2e-check "its heading says the concept future widened it"
                 (and text (string-match-p "is the concept future" text))))
    ;; M-x kg-ls-rebuild-index empties the index and builds it again: the word comes back.
    (e2e-keys "M-x kg-ls-rebuild-index RET")
    (e2e-check "M-x kg-ls-rebuild-index says the index is being rebuilt"
               (with-current-buffer "*Messages*"
                 (save-excursion
                   (goto-char (point-max))
                   (forward-line -1)
                   (looking-at-p "kg-ls: rebuilding the search index"))))
    (let ((text (e2e-search "kilobytes" "^docs/search\\.md:")))
      (e2e-check "after it, M-x kg-ls-search kilobytes lists docs/search.md again"
                 (and text (string-match-p "^docs/search\\.md:" text))
                 (and text (substring text 0 (min 200 (length text))))))
    (e2e-keys "C-x b notes.md RET")
    (delete-other-windows)

    ;; After .kg-ls.toml changes, M-x eglot-reconnect loads the new graph.
    (make-directory (concat demo "extra") t)
    (with-temp-file (concat demo "extra/zebra crossing.md")
      (insert "# zebra crossing\n\nA marked pedestrian crossing.\n\nsynonyms:: zebra stripes\n"))
    (with-temp-file (concat demo ".kg-ls.toml")
      (insert "[kg]\npaths = [\"kg\", \"glossary.json\", \"extra\"]\n"))
    (let ((old (eglot-current-server)))
      (e2e-keys "M-x eglot-reconnect RET")
      (e2e-check "M-x eglot-reconnect starts a new server"
                 (e2e-wait 20 (lambda () (let ((s (eglot-current-server)))
                                           (and s (not (eq s old)) (jsonrpc-running-p s)))))))
    (setq words (e2e-complete "Cross at the zebra s"))
    (e2e-check "after it, \"zebra s\" lists \"zebra stripes\" from the new path"
               (or (member "zebra stripes" words) (equal words '("Cross at the zebra stripes")))
               (e2e-short words))
    (e2e-close-completions)

    ;; Rename: M-x eglot-rename on a mention of "zebra crossing", answering its prompt with
    ;; the new name and its "Server wants to edit" question (the concept file is not visited)
    ;; with y.  eglot 1.9 declares no rename resource operation, so the server sends the text
    ;; edits without the file rename: the mention and the concept file's heading are renamed,
    ;; and the file keeps its name.
    (e2e-keys "M-> RET")
    (e2e-type "Cross at the zebra crossing")
    (e2e-wait 1 (lambda () nil))
    (e2e-keys "C-a M-f M-f M-f M-f M-b")
    (let ((old-file (concat demo "extra/zebra crossing.md"))
          (new-file (concat demo "extra/zebra walk.md"))
          concept)
      (condition-case err
          (execute-kbd-macro (vconcat (kbd "M-x eglot-rename RET") "zebra walk" (kbd "RET") "y"))
        (error (e2e-check "M-x eglot-rename runs" nil (error-message-string err))))
      (e2e-check "M-x eglot-rename zebra walk renames the mention in the buffer"
                 (e2e-wait 5 (lambda () (equal (e2e-line) "Cross at the zebra walk"))) (e2e-line))
      (setq concept (find-buffer-visiting old-file))
      (e2e-check "and the heading of extra/zebra crossing.md, in a buffer eglot opened for it (unsaved)"
                 (and concept (with-current-buffer concept
                                (and (buffer-modified-p)
                                     (save-excursion (goto-char (point-min)) (looking-at "# zebra walk\n")))))
                 (if concept (with-current-buffer concept
                               (format "modified %s, first line %S" (buffer-modified-p)
                                       (buffer-substring-no-properties (point-min) (save-excursion (goto-char (point-min)) (line-end-position)))))
                   "no buffer visits it"))
      (e2e-check "without the file rename: extra/zebra crossing.md keeps its name"
                 (and (file-exists-p old-file) (not (file-exists-p new-file)) (not (find-buffer-visiting new-file)))
                 (mapconcat #'identity (directory-files (concat demo "extra") nil "\\.md\\'") ", "))
      ;; Saved (C-x s, then ! to save every buffer), the heading makes "zebra walk" a term of
      ;; the concept, still in its old file.
      (e2e-keys "C-x s !")
      (e2e-check "C-x s ! saves the renamed heading to extra/zebra crossing.md"
                 (with-temp-buffer (insert-file-contents old-file) (looking-at "# zebra walk\n"))
                 (with-temp-buffer (insert-file-contents old-file)
                                   (buffer-substring-no-properties (point-min) (line-end-position))))
      (setq words (e2e-complete "Then the zebra w"))
      (e2e-check "after it, \"zebra w\" lists \"zebra walk\", a term of the concept now"
                 (or (member "zebra walk" words) (equal words '("Then the zebra walk")))
                 (e2e-short words))
      (e2e-close-completions))

    ;; A .git above the workspace: the nearer .kg-ls.toml is still the root.
    (e2e-check "eglot starts kg-ls in a workspace inside a git repository"
               (e2e-open (concat nested "docs/notes.md")))
    (when (eglot-current-server)
      (e2e-check "with .git above, the project root is the nearer folder with .kg-ls.toml"
                 (equal (e2e-root) nested) (e2e-root))
      (setq words (e2e-complete "Pick an async ru"))
      (e2e-check "and completion there lists \"async runtime\"" (member "async runtime" words)
                 (e2e-short words))
      (e2e-close-completions))

    ;; A term two concepts claim is one candidate; a capitalised prefix keeps its case.
    (e2e-check "eglot starts kg-ls on the Terraphim concepts"
               (e2e-open (concat terraphim "notes.md")))
    (when (eglot-current-server)
      (setq words (e2e-complete "Tower midd"))
      (e2e-check "\"midd\" lists \"middleware\" once"
                 (= 1 (cl-count "middleware" words :test #'equal)) (e2e-short words))
      (e2e-close-completions)
      (let ((completion-ignore-case nil))
        (setq words (e2e-complete "Tower Midd")))
      (e2e-check "\"Midd\" offers \"Middleware\" (completion-ignore-case nil)"
                 (or (member "Middleware" words)
                     (equal words '("Tower Middleware")))
                 (e2e-short words))
      (e2e-close-completions))))

(defun e2e-shutdown ()
  "Shut every server down as M-x eglot-shutdown does.
A server that exits with status 101 panicked (Rust's exit status for a panic); eglot
reports it as \"Server exited with status 101\".  Status 9 is eglot killing it after
the exit notification, which eglot 1.9 does."
  (dolist (server (cl-loop for servers being the hash-values of eglot--servers-by-project
                           append servers))
    (let ((proc (jsonrpc--process server)))
      (ignore-errors (eglot-shutdown server nil nil t))
      (e2e-wait 3 (lambda () (not (process-live-p proc))))
      (e2e-check (format "the server for %s exits without a panic"
                         (abbreviate-file-name (project-root (eglot--project server))))
                 (not (eql (process-exit-status proc) 101))
                 (format "status %s" (process-exit-status proc))))))

(condition-case err
    (progn (e2e-main) (e2e-shutdown))
  (error (e2e-check "the test ran to the end" nil (error-message-string err))))
(message (if (zerop e2e-failures) "-- emacs: all passed" "-- emacs: %d failed") e2e-failures)
(let ((kill-emacs-hook nil))
  (kill-emacs (if (zerop e2e-failures) 0 1)))

;;; e2e.el ends here
