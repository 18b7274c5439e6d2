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
;;   holds `.kg-ls.toml' or a VC marker wins, as in the Neovim setup.
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

(provide 'kg-ls)
;;; kg-ls.el ends here
