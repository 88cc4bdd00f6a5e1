import { EditorContent, useEditor, useEditorState, type Editor } from '@tiptap/react';
import StarterKit from '@tiptap/starter-kit';
import { useEffect } from 'react';
import styles from './compose.module.css';

export interface RichTextHandle {
  insertHtml(html: string): void;
  clear(): void;
  focus(): void;
}

const GLYPHS: Record<string, React.ReactNode> = {
  Bold: <b>B</b>,
  Italic: <i>I</i>,
  Underline: <u>U</u>,
  'Bulleted list': '•≡',
  'Numbered list': '1.',
  Quote: '❝',
};

function ToolbarButton({ editor, label, mark, run }: { editor: Editor; label: string; mark: string; run: () => void }) {
  const active = useEditorState({ editor, selector: ({ editor: current }) => current.isActive(mark) });
  // The glyph is what sighted people read; the name is what everyone else hears (and what voice control says).
  return (
    <button type="button" className={styles.toolButton} title={label} aria-pressed={active} onMouseDown={(e) => e.preventDefault()} onClick={run}>
      <span aria-hidden="true">{GLYPHS[label]}</span>
      <span className="visually-hidden">{label}</span>
    </button>
  );
}

/**
 * The WYSIWYG body (TipTap): paragraphs, bold, italic, underline, lists, quotes and links — what the API's sanitizer
 * keeps. The HTML goes to the API as is; the API sanitizes it before storing.
 */
export default function RichTextEditor({
  label,
  initialHtml = '',
  onChange,
  onReady,
  invalid,
  describedBy,
}: {
  label: string;
  initialHtml?: string;
  onChange: (html: string, isEmpty: boolean) => void;
  onReady?: (handle: RichTextHandle) => void;
  invalid?: boolean;
  describedBy?: string;
}) {
  const editor = useEditor({
    extensions: [StarterKit.configure({ heading: false, codeBlock: false, horizontalRule: false, link: { openOnClick: false, autolink: true } })],
    content: initialHtml,
    editorProps: {
      attributes: {
        role: 'textbox',
        'aria-multiline': 'true',
        'aria-label': label,
        'aria-invalid': String(Boolean(invalid)),
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        class: styles.editorArea,
      },
    },
    onUpdate: ({ editor: current }) => onChange(current.getHTML(), current.isEmpty),
  });
  useEffect(() => {
    if (!editor || !onReady) return;
    onReady({
      insertHtml: (html) => editor.chain().focus().insertContent(html).run(),
      clear: () => editor.commands.clearContent(true),
      focus: () => editor.commands.focus(),
    });
  }, [editor, onReady]);
  if (!editor) return null;
  return (
    <div className={styles.editor}>
      <div className={styles.toolbar} role="toolbar" aria-label={`${label} formatting`}>
        <ToolbarButton editor={editor} label="Bold" mark="bold" run={() => editor.chain().focus().toggleBold().run()} />
        <ToolbarButton editor={editor} label="Italic" mark="italic" run={() => editor.chain().focus().toggleItalic().run()} />
        <ToolbarButton editor={editor} label="Underline" mark="underline" run={() => editor.chain().focus().toggleUnderline().run()} />
        <ToolbarButton editor={editor} label="Bulleted list" mark="bulletList" run={() => editor.chain().focus().toggleBulletList().run()} />
        <ToolbarButton editor={editor} label="Numbered list" mark="orderedList" run={() => editor.chain().focus().toggleOrderedList().run()} />
        <ToolbarButton editor={editor} label="Quote" mark="blockquote" run={() => editor.chain().focus().toggleBlockquote().run()} />
      </div>
      <EditorContent editor={editor} />
    </div>
  );
}
