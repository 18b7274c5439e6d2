;;; kg-ls.el --- kg-ls (knowledge-graph language server) with eglot  -*- lexical-binding: t -*-

;; Works with Emacs 28 + eglot 1.9 (Debian's emacs and elpa-eglot) and Emacs 29+, where eglot
;; is built in.  Load it from init.el:
;;
;;   (load "/path/to/kg-ls/editors/emacs/kg-ls.el")
;;
;;; Commentary:

;; What this file does, each part of which could be written in init.el instead:
;;
;; - tells eglot to start `kg-ls' for markdown and plain text buffers (before any other
;;   markdown server in `eglot-server-programs', such as marksman);
;; - opens .md files in `text-mode' when markdown-mode is not installed (Emacs has no
;;   markdown mode of its own, and eglot needs a major mode to attach to);
;; - starts eglot in those buffers (`eglot-ensure') and binds C-M-i there to
;;   `completion-at-point' (`text-mode' binds it to `ispell-complete-word');
;; - makes the folder with `.kg-ls.toml' the project root: without it, a folder with no
;;   `.git' would make each file's own folder eglot's project, and the server would find no
;;   `.kg-ls.toml' ("no knowledge graph configured").  The nearest folder above a file that
;;   holds `.kg-ls.toml' or a VC marker wins, as in the Neovim setup;
;; - `M-x kg-ls-search': the knowledge-base search (the server's `kg-ls/search' request),
;;   with the hits in a compilation-mode buffer where RET opens a document at its match;
;;   `M-x kg-ls-rebuild-index' rebuilds the server's full-text index.
;;
;; The server reads the knowledge-graph paths from `.kg-ls.toml'; nothing here overrides them.

;;; Code:

(require 'eglot)
(require 'project)

(defgroup kg-ls nil
  "The kg-ls knowledge-graph language server."
  :group 'eglot)

(defcustom kg-ls-program "kg-ls"
  "The kg-ls binary: a name on `exec-path' or a full path."
  :type 'string)

(defcustom kg-ls-modes '(markdown-mode gfm-mode text-mode)
  "Major modes whose buffers get kg-ls."
  :type '(repeat symbol))

(defun kg-ls--nearest (dir names)
  "The nearest folder at or above DIR that holds one of NAMES, or nil."
  (let (best)
    (dolist (name names best)
      (let ((found (locate-dominating-file dir name)))
        (when (and found
                   (or (null best)
                       (> (length (expand-file-name found))
                          (length (expand-file-name best)))))
          (setq best found))))))

(defun kg-ls-project-find (dir)
  "The kg-ls project of DIR: the nearest folder above it with `.kg-ls.toml'.
Returns nil, leaving the choice to `project-try-vc', when a VC root is as near or
nearer, or when there is no `.kg-ls.toml'."
  (let ((root (locate-dominating-file dir ".kg-ls.toml"))
        (vc (kg-ls--nearest dir '(".git" ".hg" ".jj" ".svn" "_darcs" ".bzr"))))
    (when (and root
               (or (null vc)
                   (> (length (expand-file-name root))
                      (length (expand-file-name vc)))))
      (cons 'kg-ls (file-name-as-directory (expand-file-name root))))))

(cl-defmethod project-root ((project (head kg-ls)))
  "The folder that holds PROJECT's `.kg-ls.toml'."
  (cdr project))

(add-hook 'project-find-functions #'kg-ls-project-find -50)

(add-to-list 'eglot-server-programs
             (cons kg-ls-modes (lambda (&rest _) (list kg-ls-program))))

(unless (fboundp 'markdown-mode)
  (add-to-list 'auto-mode-alist '("\\.md\\'" . text-mode)))

(defvar kg-ls-keys-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-M-i") #'completion-at-point)
    map)
  "Keys of `kg-ls-keys-mode'.")

(define-minor-mode kg-ls-keys-mode
  "Keys for buffers that kg-ls serves: \\[completion-at-point] completes knowledge-graph terms.
`text-mode' binds C-M-i (M-TAB) to `ispell-complete-word'; here it is
`completion-at-point' again, as in programming modes."
  :keymap kg-ls-keys-mode-map)

(defun kg-ls--managed ()
  "Turn `kg-ls-keys-mode' on in the buffers eglot manages with kg-ls."
  (let ((server (and (bound-and-true-p eglot--managed-mode) (eglot-current-server))))
    (kg-ls-keys-mode
     (if (and server (memq major-mode kg-ls-modes)) 1 -1))))

(add-hook 'eglot-managed-mode-hook #'kg-ls--managed)

(defun kg-ls-maybe-start ()
  "Start eglot (and so kg-ls) in a buffer whose major mode is one of `kg-ls-modes'."
  (when (memq major-mode kg-ls-modes)
    (eglot-ensure)))

(add-hook 'after-change-major-mode-hook #'kg-ls-maybe-start)

;;; Searching the knowledge base.

(require 'compile)

(defcustom kg-ls-search-limit 100
  "The most hits `kg-ls-search' asks the server for (at most 200)."
  :type 'integer)

(defvar kg-ls-search-history nil
  "Queries given to `kg-ls-search'.")

(defun kg-ls--server ()
  "The kg-ls server of the current buffer, else of any buffer, or nil."
  (or (and (bound-and-true-p eglot--managed-mode) (eglot-current-server))
      (cl-loop for buffer in (buffer-list)
               for server = (with-current-buffer buffer
                              (and (bound-and-true-p eglot--managed-mode)
                                   (memq major-mode kg-ls-modes)
                                   (eglot-current-server)))
               when server return server)))

(defun kg-ls--utf16-to-column (line character)
  "The character offset in LINE (a string) of the UTF-16 offset CHARACTER."
  (let ((units 0) (i 0) (n (length line)))
    (while (and (< i n) (< units character))
      (setq units (+ units (if (> (aref line i) #xFFFF) 2 1))
            i (1+ i)))
    i))

(defun kg-ls--file-line (file line)
  "The text of LINE (0-based) of FILE, from its buffer or else from disk."
  (let ((visiting (find-buffer-visiting file)))
    (with-temp-buffer
      (if visiting
          (insert-buffer-substring visiting)
        (ignore-errors (insert-file-contents file)))
      (goto-char (point-min))
      (forward-line line)
      (buffer-substring-no-properties (point) (line-end-position)))))

(defun kg-ls--one-line (text)
  "TEXT with its newlines and runs of blanks as one space."
  (string-trim (replace-regexp-in-string "[ \t\n\r]+" " " (or text ""))))

(defun kg-ls--search-title (query result)
  "The heading of the results of QUERY: the count and the concepts that widened it."
  (let ((total (or (plist-get result :total) 0))
        (shown (length (plist-get result :items))))
    (concat
     (format "kg-ls search: %s (%s)" query
             (cond ((zerop total) "no matches")
                   ((< shown total) (format "%d of %d matches" shown total))
                   ((= total 1) "1 match")
                   (t (format "%d matches" total))))
     (mapconcat
      (lambda (e)
        (let* ((term (plist-get e :term))
               (others (seq-remove (lambda (t1) (string= (downcase t1) (downcase term)))
                                   (append (plist-get e :terms) nil))))
          (format "\n\"%s\" is the concept %s%s" term (plist-get e :concept)
                  (if others
                      (concat ": also searched "
                              (mapconcat #'identity (seq-take others 5) ", ")
                              (if (> (length others) 5) ", ..." ""))
                    ""))))
      (plist-get result :expanded) ""))))

(defun kg-ls--search-line (item root)
  "The `file:line:column: title: snippet' line of ITEM, its file relative to ROOT."
  (let* ((file (eglot--uri-to-path (plist-get item :uri)))
         (snippets (plist-get item :snippets))
         (snippet (and (> (length snippets) 0) (aref snippets 0)))
         (matches (plist-get item :matches))
         (range (or (and (> (length matches) 0) (aref matches 0))
                    (and snippet (plist-get snippet :range))))
         (start (and range (plist-get range :start)))
         (line (if start (plist-get start :line) 0))
         (column (if start
                     (kg-ls--utf16-to-column (kg-ls--file-line file line)
                                             (plist-get start :character))
                   0))
         (title (plist-get item :title))
         (text (kg-ls--one-line (and snippet (plist-get snippet :text)))))
    (format "%s:%d:%d: %s%s\n" (file-relative-name file root) (1+ line) (1+ column)
            (if (and title (not (string= title ""))) title (file-name-nondirectory file))
            (if (string= text "") "" (concat ": " text)))))

(define-compilation-mode kg-ls-search-mode "kg-ls search"
  "The hits of `kg-ls-search': RET (or a click) opens a document at its match;
\\[next-error] and \\[previous-error] walk them from any buffer, and `g' searches again."
  (setq-local compilation-error-regexp-alist '(kg-ls-search))
  (setq-local compilation-error-regexp-alist-alist
              '((kg-ls-search "^\\([^:\n]+\\):\\([0-9]+\\):\\([0-9]+\\): " 1 2 3 0)))
  ;; The columns are characters, not screen columns (a tab or a wide character is one).
  (setq-local compilation-error-screen-columns nil)
  (setq-local compilation-first-column 1))

(define-key kg-ls-search-mode-map "g" #'revert-buffer)

(defvar-local kg-ls--search-query nil
  "The query whose hits the buffer shows, for `revert-buffer'.")

(defun kg-ls-search (query)
  "Search the knowledge base for QUERY (kg-ls's `kg-ls/search' request).
QUERY is words and \"quoted phrases\"; the last word also matches as a
prefix, and a query that names a concept also finds the documents that
mention its other terms.  The hits, best first, go to the *kg-ls search*
buffer, where RET opens a document at its first match."
  (interactive
   (let ((word (thing-at-point 'word t)))
     (list (read-string (if word (format "kg-ls search (default %s): " word) "kg-ls search: ")
                        nil 'kg-ls-search-history word))))
  (when (string-match-p "\\`[ \t\n]*\\'" query)
    (user-error "kg-ls: the query is empty"))
  (let* ((server (or (kg-ls--server)
                     (user-error "kg-ls: no kg-ls server is running; open a markdown file of the workspace first")))
         (root (file-name-as-directory (expand-file-name (project-root (eglot--project server)))))
         (result (condition-case err
                     (jsonrpc-request server :kg-ls/search
                                      (list :query query :limit kg-ls-search-limit))
                   (jsonrpc-error
                    (if (eql (alist-get 'jsonrpc-error-code (cdr err)) -32601)
                        (user-error "kg-ls: this kg-ls has no kg-ls/search; update kg-ls")
                      (user-error "kg-ls: the search failed: %s"
                                  (or (alist-get 'jsonrpc-error-message (cdr err)) err))))))
         (buffer (get-buffer-create "*kg-ls search*")))
    (with-current-buffer buffer
      (let ((inhibit-read-only t))
        (setq default-directory root)
        (erase-buffer)
        (kg-ls-search-mode)
        (insert (kg-ls--search-title query result) "\n\n")
        (seq-doseq (item (plist-get result :items))
          (insert (kg-ls--search-line item root)))
        (setq kg-ls--search-query query)
        (setq-local revert-buffer-function
                    (lambda (&rest _) (kg-ls-search kg-ls--search-query)))
        (goto-char (point-min))))
    (setq next-error-last-buffer buffer)
    (pop-to-buffer buffer)
    (when (zerop (length (plist-get result :items)))
      (message "kg-ls: no matches for %s" query))
    buffer))

(defun kg-ls-rebuild-index ()
  "Ask kg-ls to rebuild its full-text search index from scratch, in the background.
This is the server's `kg-ls.rebuildTextIndex' command."
  (interactive)
  (let ((server (or (kg-ls--server)
                    (user-error "kg-ls: no kg-ls server is running"))))
    (condition-case err
        (jsonrpc-request server :workspace/executeCommand
                         '(:command "kg-ls.rebuildTextIndex" :arguments []))
      (jsonrpc-error
       (user-error "kg-ls: the search index was not rebuilt: %s"
                   (or (alist-get 'jsonrpc-error-message (cdr err)) err))))
    (message "kg-ls: rebuilding the search index")))

(provide 'kg-ls)
;;; kg-ls.el ends here
