"""Fill locale/en/LC_MESSAGES/django.po from the Japanese → English dictionary below.

The portal's source strings (msgids) are Japanese; this dictionary is the English catalogue's single source.
After adding or changing marked strings:

    .venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=artifacts
    .venv/bin/python locale/fill_en.py          # fails listing any msgid missing from EN below
    .venv/bin/python manage.py compilemessages -l en

and commit both django.po and django.mo. Plural entries map to a (singular, plural) tuple.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import polib

PO_PATH = Path(__file__).resolve().parent / "en" / "LC_MESSAGES" / "django.po"

EN: dict[str, str | tuple[str, str]] = {
    # --- apps ---
    "施策・指標": "Measures & indicators",
    "マイルストーン・通知": "Milestones & notifications",
    "計画・組織": "Plans & organisation",
    # --- admin site (dxportal/urls.py) ---
    "DXポータル 管理": "DX Portal administration",
    "自治体DX推進計画の管理": "Municipal DX promotion plan administration",
    # --- statuses, health, urgency ---
    "未着手": "Not started",
    "進行中": "In progress",
    "完了": "Done",
    "遅延": "Late",
    "中止": "Cancelled",
    "順調": "On track",
    "注意": "Attention",
    "期限超過": "Overdue",
    "30日以内": "Within 30 days",
    "30日より先": "More than 30 days away",
    "完了・中止": "Done / cancelled",
    "すべて（中止を除く）": "All (excluding cancelled)",
    "未完了": "Open",
    "30日以内に期限": "Due within 30 days",
    "超過": "Overdue",
    "緊急度": "Urgency",
    # --- measures/forms.py ---
    "例: 2025/4/1、令和7年4月1日、R7.4.1": "e.g. 2025/4/1, 令和7年4月1日, R7.4.1",
    "未来の日付は入力できません。": "The date cannot be in the future.",
    "状況": "Status",
    "進捗率（%）": "Progress (%)",
    "0〜100の整数。「完了」で空欄なら100%": "A whole number from 0 to 100. Left blank with \u201cDone\u201d, it is 100%",
    "コメント": "Comment",
    "庁内限り（公開ダッシュボードに表示しない）": "Internal only (not shown on the public dashboard)",
    "状況が「完了」のときは進捗率を100%にしてください。": "When the status is \u201cDone\u201d, set progress to 100%.",
    "実績値": "Actual value",
    "実績日（時点）": "Date of the value (as of)",
    "出典": "Source",
    "備考（訂正の理由など）": "Note (e.g. reason for a correction)",
    "未完了（既定）": "Open (default)",
    "すべて": "All",
    "施策の状況": "Measure status",
    "マイルストーンの状況": "Milestone status",
    "国の取組項目": "National items",
    "年度": "Fiscal year",
    "例: 2025、令和7年度、R7": "e.g. 2025, 令和7年度, R7",
    "%(start)s年度〜%(end)s年度": "FY%(start)s\u2013FY%(end)s",
    # --- measures/models.py ---
    "計画": "Plan",
    "施策コード": "Measure code",
    "施策名": "Measure name",
    "概要": "Overview",
    "現状・課題": "Current situation and issues",
    "担当部署": "Owner department",
    "施策の柱": "Pillar",
    "開始年度": "Start fiscal year",
    "終了年度": "End fiscal year",
    "予算（千円）": "Budget (thousand yen)",
    "表示順": "Display order",
    "作成日時": "Created at",
    "更新日時": "Updated at",
    "施策": "Measure",
    "終了年度は開始年度以降にしてください。": "The end fiscal year must not be earlier than the start fiscal year.",
    "担当部署は計画と同じ自治体の部署を選んでください。":
        "Choose an owner department of the same municipality as the plan.",
    "増加（大きいほど良い）": "Increase (higher is better)",
    "減少（小さいほど良い）": "Decrease (lower is better)",
    "累計": "Cumulative",
    "単年度": "Single year",
    "指標コード": "Indicator code",
    "指標名": "Indicator name",
    "単位": "Unit",
    "方向": "Direction",
    "集計": "Aggregation",
    "基準値": "Baseline",
    "基準日": "As of",
    "Y年n月j日": "F j, Y",
    "目標値": "Target",
    "目標年度": "Target fiscal year",
    "指標（KPI）": "Indicators (KPI)",
    "指標": "Indicator",
    "実績日": "Date",
    "備考": "Note",
    "最新": "Latest",
    "訂正前の値": "Value before correction",
    "記録者": "Recorded by",
    "記録日時": "Recorded at",
    "指標の実績値": "Indicator value",
    "報告者": "Reported by",
    "報告日時": "Reported at",
    "庁内限り": "Internal only",
    "公開ダッシュボードには表示しません": "Not shown on the public dashboard",
    "インポート": "Import",
    "進捗報告": "Progress report",
    "進捗報告は追記のみです。変更はできません。": "Progress reports can only be added, not changed.",
    "進捗報告は削除できません。": "Progress reports cannot be deleted.",
    "国の取組事項": "National item",
    "マイルストーン数（中止を除く）": "Milestones (excluding cancelled)",
    "完了したマイルストーン数": "Milestones done",
    "着手したマイルストーン数": "Milestones started",
    "未完了で最も早い期限": "Earliest open due date",
    "最新の進捗率": "Latest progress",
    "最新の状況": "Latest status",
    "施策の進捗集計": "Measure progress roll-up",
    # --- measures/progress.py, selectors.py ---
    "A: 目標値を達成 / B: 基準値から目標値までの80%以上 / C: 50%以上 / D: 50%未満":
        "A: target reached / B: at least 80% of the way from baseline to target / C: at least 50% / D: below 50%",
    "マイルストーン": "Milestone",
    "指標の実績": "Indicator value",
    "完了日": "Completed on",
    "期限": "Due date",
    "マイルストーン名": "Milestone name",
    "システム": "System",
    "%(code)s %(title)s を登録": "Added %(code)s %(title)s",
    "%(code)s %(title)s を削除": "Deleted %(code)s %(title)s",
    "%(code)s %(title)s を更新": "Updated %(code)s %(title)s",
    "進捗を報告": "Report progress",
    "%(name)s の実績を訂正": "Corrected the value of %(name)s",
    "%(name)s の実績を登録": "Recorded a value for %(name)s",
    "施策を登録": "Measure added",
    "施策を更新": "Measure updated",
    # --- measures/services.py, views.py ---
    "この施策の進捗を報告する権限がありません。担当部署の職員または管理者に依頼してください。":
        "You are not allowed to report progress on this measure. Ask staff of the owner department "
        "or an administrator.",
    "この指標の実績を登録する権限がありません。担当部署の職員または管理者に依頼してください。":
        "You are not allowed to record values for this indicator. Ask staff of the owner department "
        "or an administrator.",
    "同じ日付の実績が同時に登録されました。画面を開き直して確認してください。":
        "A value for the same date was recorded at the same time. Reload the page and check.",
    "この施策を更新する権限がありません。担当部署（%(dept)s）の職員または管理者に依頼してください。":
        "You are not allowed to update this measure. Ask staff of the owner department (%(dept)s) "
        "or an administrator.",
    "この指標の実績を登録する権限がありません。担当部署（%(dept)s）の職員または管理者に依頼してください。":
        "You are not allowed to record values for this indicator. Ask staff of the owner department (%(dept)s) "
        "or an administrator.",
    "進捗を報告しました。": "Progress reported.",
    "実績を訂正しました（訂正前の値は履歴に残ります）。":
        "Value corrected (the previous value stays in the history).",
    "実績を登録しました。": "Value recorded.",
    # --- milestones/admin.py, forms.py, models.py ---
    "宛先": "Recipient",
    "エラー": "Errors",
    "次回の通知プレビュー": "Preview of the next notifications",
    "本日は閉庁日のため送信しません。": "Today is a government holiday; nothing is sent.",
    "送信に失敗しました（次回の実行で再送します）: %(error)s": "Sending failed (will retry on the next run): %(error)s",
    "%(count)s通の通知を送信しました（送信待ちを含む）。": "Sent %(count)s notification(s) (including queued ones).",
    "「完了」のときだけ入力。空欄なら今日。例: 2025/4/1、令和7年4月1日":
        "Only for \u201cDone\u201d. Blank means today. e.g. 2025/4/1, 令和7年4月1日",
    "完了日は状況が「完了」のときだけ入力できます。ほかの状況にするときは空欄にしてください。":
        "A completion date is only allowed when the status is \u201cDone\u201d. Leave it blank for other statuses.",
    "中間指標": "Interim milestone",
    "到達目標": "Final goal",
    "マイルストーンコード": "Milestone code",
    "種別": "Type",
    "空欄なら施策の担当部署": "Blank means the measure's owner department",
    "更新回数": "Version",
    "同時編集の検出に使います": "Used to detect simultaneous edits",
    "更新者": "Updated by",
    "完了にするときは完了日を入力してください。": "Enter the completion date when marking it as done.",
    "完了日は状況が「完了」のときだけ入力できます。":
        "A completion date is only allowed when the status is \u201cDone\u201d.",
    "送信中": "Sending",
    "送信済み": "Sent",
    "送信失敗": "Failed",
    "省略": "Skipped",
    "部署": "Department",
    "段階": "Stage",
    "期限（送信時）": "Due date (when sent)",
    "実行日": "Run date",
    "状態": "State",
    "試行回数": "Attempts",
    "管理者へ通知": "Escalation to administrators",
    "確保日時": "Claimed at",
    "送信日時": "Sent at",
    "通知履歴": "Notification log",
    # --- milestones/reminder_views.py, reminders.py ---
    "所属が設定されていません。": "You have no department membership.",
    "期限通知メールを受け取ります。": "You will receive due-date reminder emails.",
    "期限通知メールを停止しました。": "Due-date reminder emails turned off.",
    "施策: %(measure)s\n期限: %(due)s\n状況: %(status)s": "Measure: %(measure)s\nDue: %(due)s\nStatus: %(status)s",
    "%(department)s のマイルストーン": "Milestones of %(department)s",
    "期限を過ぎています": "Past due",
    "期限当日": "Due today",
    "期限の%(days)s日前": "%(days)s days before the due date",
    "より新しい通知に置き換えられました": "Superseded by a newer notification",
    "あと%(days)s日": "%(days)s days left",
    "本日": "Today",
    "%(days)s日超過": "%(days)s days overdue",
    "【DX推進】期限を%(days)s日以上過ぎたマイルストーン %(count)s件（%(place)s）":
        "[DX Promotion] %(count)s milestone(s) at least %(days)s days overdue (%(place)s)",
    "【DX推進】期限の近いマイルストーン %(count)s件（%(place)s）":
        "[DX Promotion] %(count)s milestone(s) due soon (%(place)s)",
    "【DX推進】進捗の更新をお願いします %(count)s件（%(place)s）":
        "[DX Promotion] Please update progress: %(count)s measure(s) (%(place)s)",
    "送信前に完了または期限変更されました": "Done or rescheduled before sending",
    "進捗の更新をお願いします": "Please update progress",
    "管理者へ（期限超過）": "To administrators (overdue)",
    # --- milestones/services.py, views.py ---
    "このマイルストーンは %(who)s が %(when)s に更新しました。最新の内容を確認してから、もう一度保存してください（入力内容は残してあります）。":
        "%(who)s updated this milestone at %(when)s. Check the latest content, then save again "
        "(your input has been kept).",
    "このマイルストーンを更新する権限がありません。担当部署の職員または管理者に依頼してください。":
        "You are not allowed to update this milestone. Ask staff of the owner department or an administrator.",
    "このマイルストーンを更新する権限がありません。担当部署（%(dept)s）の職員または管理者に依頼してください。":
        "You are not allowed to update this milestone. Ask staff of the owner department (%(dept)s) "
        "or an administrator.",
    "マイルストーン「%(title)s」を更新しました。": "Milestone \u201c%(title)s\u201d updated.",
    # --- plans/admin.py ---
    "カレンダー配信URLを発行・再発行する（旧URLは無効）":
        "Issue or reissue the calendar feed URL (the old URL stops working)",
    "%(count)s部署のカレンダー配信URLを発行しました。": "Issued calendar feed URLs for %(count)s department(s).",
    "カレンダー配信URLを無効にする": "Disable the calendar feed URL",
    "%(count)s部署のカレンダー配信URLを無効にしました。": "Disabled calendar feed URLs for %(count)s department(s).",
    "Excel": "Excel",
    "取込": "Import",
    "テンプレート": "Template",
    "エクスポート": "Export",
    "件数": "Counts",
    # --- plans/dashboard ---
    "施策なし": "No measures",
    "基準値 %(b)s → 目標値 %(t)s、実績 %(a)s": "Baseline %(b)s \u2192 target %(t)s, actual %(a)s",
    "はい": "Yes",
    "いいえ": "No",
    "番号": "No.",
    "取組事項": "Item",
    "区分": "Category",
    "名称": "Name",
    "施策数": "Measures",
    "完了したマイルストーン": "Milestones done",
    "マイルストーン数": "Milestones",
    "期限超過のマイルストーン": "Overdue milestones",
    "コード": "Code",
    "国の取組事項（番号）": "National items (numbers)",
    "最新の実績": "Latest value",
    "達成度（%）": "Achievement (%)",
    "評価": "Grade",
    "大きいほど良い": "Higher is better",
    "小さいほど良い": "Lower is better",
    "四半期": "Quarter",
    "団体": "Municipality",
    "都道府県": "Prefecture",
    "団体数": "Municipalities",
    "（柱の指定なし）": "(no pillar)",
    "計画全体": "Whole plan",
    "%(label)s の指定「%(value)s」は正しくないため、無視しました。":
        "The %(label)s value \u201c%(value)s\u201d is not valid and was ignored.",
    "状況の指定「%(value)s」は正しくないため、無視しました。":
        "The status value \u201c%(value)s\u201d is not valid and was ignored.",
    "国の取組事項ごとの進捗率": "Progress by national item",
    "各取組事項の進捗率と状況。数値は下の表にもあります。":
        "Progress and status of each item. The figures are also in the table below.",
    "区分の指定「%(value)s」は正しくないため、すべてを表示します。":
        "The category value \u201c%(value)s\u201d is not valid; showing all.",
    "都道府県コードは2桁の数字で指定してください。": "Give the prefecture code as 2 digits.",
    "自治体間の比較": "Compare municipalities",
    "国の取組事項ごとの進捗": "Progress by national item",
    "部署ごとの進捗": "Progress by department",
    "施策の柱ごとの進捗": "Progress by pillar",
    "30日以内に期限のマイルストーン": "Milestones due within 30 days",
    "工程表": "Timeline",
    # --- plans/importing ---
    "Excelブック（.xlsx）またはCSV": "Excel workbook (.xlsx) or CSV",
    "ファイルが空です。": "The file is empty.",
    "取り込むファイルを選んでください。": "Choose a file to import.",
    "Excelから取込: %(plan)s": "Import from Excel: %(plan)s",
    "このプレビューは取り込み済みか、エラーがあるため確定できません。もう一度アップロードしてください。":
        "This preview has already been imported or has errors, so it cannot be confirmed. Upload the file again.",
    "アップロードしたファイルが見つかりません。もう一度アップロードしてください。":
        "The uploaded file could not be found. Upload it again.",
    "プレビューの後にデータが変わったため、エラーがあります。内容を確認してください。":
        "The data changed after the preview and there are now errors. Check the content.",
    "「%(file)s」を取り込みました（インポート #%(id)s: 新規 %(new)s 件、変更 %(changed)s 件）。":
        "Imported \u201c%(file)s\u201d (import #%(id)s: %(new)s new, %(changed)s changed).",
    # --- importing: reading, checks, preview, services, commands. Sheet names and headers quoted in 「」 are the
    # file format and stay Japanese in English too (the person must find them in the workbook). ---
    "Excel取込・出力": "Excel import and export",
    "ファイルが大きすぎます（%(size)s MB）。上限は %(limit)s MB です。":
        "The file is too large (%(size)s MB). The limit is %(limit)s MB.",
    "パスワードで保護（暗号化）されたブックは読み込めません。Excelでパスワードを解除して保存し直してからアップロードしてください。":
        "A password-protected (encrypted) workbook cannot be read. Remove the password in Excel, save it again and"
        " upload it.",
    "古い形式（.xls）のExcelファイルです。Excelで「Excel ブック (*.xlsx)」形式で保存し直してからアップロードしてください。":
        "This is an old-format (.xls) Excel file. Save it again in Excel as \u201cExcel Workbook (*.xlsx)\u201d and"
        " upload it.",
    "読み込めるのは Excel ブック（.xlsx）と CSV（.csv）だけです。":
        "Only Excel workbooks (.xlsx) and CSV files (.csv) can be read.",
    "Excel ブック（.xlsx）ではありません。拡張子だけが .xlsx になっている可能性があります。":
        "This is not an Excel workbook (.xlsx). Perhaps only its extension is .xlsx.",
    "ファイルが壊れているため読み込めません（zip 形式として不正です）。Excelで開けるか確かめ、保存し直してからアップロードしてください。":
        "The file is damaged and cannot be read (it is not a valid zip file). Check that Excel opens it, save it"
        " again and upload it.",
    "Word の文書です。Excel ブック（.xlsx）をアップロードしてください。":
        "This is a Word document. Upload an Excel workbook (.xlsx).",
    "Excel ブック（.xlsx）ではありません（zip ファイルですがブックの中身がありません）。":
        "This is not an Excel workbook (.xlsx): it is a zip file without a workbook inside.",
    "ブックの中身が大きすぎます（展開後の大きさが上限を超えています）。":
        "The workbook's content is too large (its uncompressed size exceeds the limit).",
    "ブックの内容が壊れているため読み込めません。Excelで開いて保存し直してからアップロードしてください。":
        "The workbook's content is damaged and cannot be read. Open it in Excel, save it again and upload it.",
    "シート「%(sheet)s」の内容が壊れているため読み込めません。":
        "Sheet \u201c%(sheet)s\u201d is damaged and cannot be read.",
    "シート「%(sheet)s」のデータが多すぎます（上限 %(limit)s 行）。シートを分けて取り込んでください。":
        "Sheet \u201c%(sheet)s\u201d has too many rows (limit %(limit)s). Split it and import the parts separately.",
    "CSV の文字コードが読み取れません。UTF-8 か Shift_JIS（CP932）で保存してください。":
        "The CSV file's character encoding cannot be read. Save it as UTF-8 or Shift_JIS (CP932).",
    "CSV ファイルではありません（中身が Excel などのバイナリ形式です）。":
        "This is not a CSV file (its content is a binary format such as Excel).",
    "CSV のデータが多すぎます（上限 %(limit)s 行）。": "The CSV file has too many rows (limit %(limit)s).",
    "CSV の形式が正しくありません（%(error)s）。": "The CSV file is not well-formed (%(error)s).",
    "シート「%(sheet)s」が2つあります。1つにまとめてください。":
        "There are two \u201c%(sheet)s\u201d sheets. Merge them into one.",
    "CSV がどのシートのものか判別できません。必須の列をそろえてください（%(expected)s）。見つかった列: %(found)s":
        "Cannot tell which sheet this CSV file is. Include the required columns (%(expected)s). Columns found:"
        " %(found)s",
    "なし": "none",
    "シート「%(missing)s」がありません。必要なシート: 施策、マイルストーン、指標（部署は任意）。見つかったシート: %(found)s":
        "Sheet \u201c%(missing)s\u201d is missing. Required sheets: 施策, マイルストーン, 指標 (部署 is optional)."
        " Sheets found: %(found)s",
    "列「%(column)s」が2つあります（「%(first)s」と「%(second)s」）。":
        "Column \u201c%(column)s\u201d appears twice (\u201c%(first)s\u201d and \u201c%(second)s\u201d).",
    "必須の列「%(missing)s」がありません。1行目に見出しが必要です。期待する見出し: %(expected)s。見つかった見出し: %(found)s":
        "Required column \u201c%(missing)s\u201d is missing. Headers must be in row 1. Expected headers:"
        " %(expected)s. Headers found: %(found)s",
    "数式は使えません。値として貼り付け（「値のみ貼り付け」）してください。":
        "Formulas cannot be used. Paste the values instead (\u201cPaste Values\u201d).",
    "必須の項目です。入力してください。": "This item is required. Enter a value.",
    "%(max)s文字以内にしてください（%(length)s文字あります）。":
        "Use at most %(max)s characters (there are %(length)s).",
    "コードに空白は使えません。": "A code cannot contain spaces.",
    "コードは%(max)s文字以内にしてください。": "A code can have at most %(max)s characters.",
    "数値を入力してください。": "Enter a number.",
    "「%(value)s」は数値として読めません。": "\u201c%(value)s\u201d cannot be read as a number.",
    "数値が大きすぎます。": "The number is too large.",
    "「%(value)s」は整数で入力してください。": "Enter \u201c%(value)s\u201d as a whole number.",
    "「%(value)s」はメールアドレスとして正しくありません。": "\u201c%(value)s\u201d is not a valid email address.",
    "「%(value)s」は選べません。%(choices)s のいずれかを入力してください。":
        "\u201c%(value)s\u201d is not a valid choice. Enter one of %(choices)s.",
    "国の取組項目を1つ以上入力してください（番号1〜%(max)s または項目名）。":
        "Enter at least one national item (a number from 1 to %(max)s or an item name).",
    "国の取組項目「%(item)s」はありません。番号は1〜%(max)sです。":
        "There is no national item \u201c%(item)s\u201d. Numbers go from 1 to %(max)s.",
    "国の取組項目「%(item)s」が見つかりません。番号（1〜%(max)s）か項目名を入力してください。":
        "National item \u201c%(item)s\u201d was not found. Enter a number (1 to %(max)s) or an item name.",
    "部署名「%(name)s」は複数あります。部署コードで指定してください。":
        "Several departments are named \u201c%(name)s\u201d. Use the department code.",
    "部署「%(name)s」が見つかりません。部署コードか部署名を入力してください（「部署」シートで追加できます）。":
        "Department \u201c%(name)s\u201d was not found. Enter a department code or name (you can add departments"
        " on the 部署 sheet).",
    "コード「%(code)s」が%(row)s行目と重複しています。コードはシート内で一意にしてください。":
        "Code \u201c%(code)s\u201d duplicates row %(row)s. Codes must be unique within a sheet.",
    "自分自身を上位部署にはできません。": "A department cannot be its own parent.",
    "上位部署「%(code)s」が見つかりません。": "Parent department \u201c%(code)s\u201d was not found.",
    "終了年度（%(end)s年度）が開始年度（%(start)s年度）より前です。":
        "The end fiscal year (FY%(end)s) is before the start fiscal year (FY%(start)s).",
    "施策コード「%(code)s」の施策がありません（「施策」シートにも計画にもありません）。":
        "There is no measure with code \u201c%(code)s\u201d (neither on the 施策 sheet nor in the plan).",
    "状況が「完了」のときは完了日を入力してください。": "When the status is \u201cDone\u201d, enter the completion date.",
    "完了日は状況が「完了」のときだけ入力できます（状況: %(status)s）。":
        "A completion date can only be entered when the status is \u201cDone\u201d (status: %(status)s).",
    "実績値を入れたときは実績日も入力してください。": "When you enter an actual value, also enter its date.",
    "実績日を入れたときは実績値も入力してください。": "When you enter an actual date, also enter its value.",
    "シート「%(sheet)s」": "sheet \u201c%(sheet)s\u201d",
    "ファイル": "File",
    "%(row)s行目": "row %(row)s",
    "列「%(column)s」": "column \u201c%(column)s\u201d",
    "値「%(value)s」": "value \u201c%(value)s\u201d",
    "（空欄）": "(blank)",
    "このプレビューは既に取り込み済みか、確定できない状態です。":
        "This preview has already been imported or cannot be confirmed.",
    "データベースへの書き込みに失敗したため、何も取り込んでいません（%(error)s）。もう一度プレビューからやり直してください。":
        "Writing to the database failed, so nothing was imported (%(error)s). Start again from the preview.",
    "Excel（.xlsx）または CSV から計画を取り込みます。エラーが1件でもあれば何も書き込まず、エラー一覧を標準エラーに出して終了コード1で終わります。":
        "Imports a plan from Excel (.xlsx) or CSV. If there is any error, nothing is written: the errors go to"
        " standard error and the command exits with code 1.",
    "取り込むファイル（.xlsx または .csv）": "The file to import (.xlsx or .csv)",
    "団体コード（同じ計画コードが複数の自治体にあるとき）":
        "Municipality code (when several municipalities have the same plan code)",
    "プレビューだけ行い、何も書き込まない": "Preview only; write nothing",
    "計画が無ければ作成する（--title が必要）": "Create the plan if it does not exist (needs --title)",
    "--create-plan で作る計画の名前": "The name of the plan --create-plan creates",
    "--create-plan: 計画期間の開始年度（既定: 今年度）":
        "--create-plan: the first fiscal year of the plan period (default: this fiscal year)",
    "--create-plan: 計画期間の終了年度（既定: 開始年度+4）":
        "--create-plan: the last fiscal year of the plan period (default: the first year + 4)",
    "取込を実行したユーザー名（履歴に記録されます）": "The username who runs the import (recorded in the history)",
    "ファイル「%(path)s」がありません。": "File \u201c%(path)s\u201d does not exist.",
    "ユーザー「%(user)s」がいません。": "There is no user \u201c%(user)s\u201d.",
    "エラーが %(count)s 件あるため、何も取り込んでいません。":
        "Nothing was imported because there are %(count)s errors.",
    "--dry-run: 何も書き込んでいません。": "--dry-run: nothing was written.",
    "取り込みました（インポート #%(id)s、計画「%(plan)s」）。": "Imported (import #%(id)s, plan \u201c%(plan)s\u201d).",
    "計画コード「%(plan)s」の計画が複数の自治体にあります。--municipality で団体コードを指定してください。":
        "Several municipalities have a plan with code \u201c%(plan)s\u201d. Give the municipality code with"
        " --municipality.",
    "計画コード「%(plan)s」の計画がありません（作成するには --create-plan --title を付けてください）。":
        "There is no plan with code \u201c%(plan)s\u201d (add --create-plan --title to create it).",
    "--create-plan には --title（計画名）が必要です。": "--create-plan needs --title (the plan's name).",
    "計画を作る自治体を --municipality（団体コード）で指定してください。":
        "Give the municipality to create the plan in with --municipality (its code).",
    "%(sheet)s: 新規 %(new)s / 変更 %(changed)s / 変更なし %(unchanged)s / エラー %(errors)s":
        "%(sheet)s: new %(new)s / changed %(changed)s / unchanged %(unchanged)s / errors %(errors)s",
    "計画を取込用と同じ形式の Excel ブックに書き出します（--template で空のテンプレート）。":
        "Writes a plan to an Excel workbook in the import format (--template: an empty template).",
    "書き出すファイル（.xlsx）": "The file to write (.xlsx)",
    "データを含まないテンプレートを書き出す": "Write a template without data",
    "計画コード「%(plan)s」の計画がありません。": "There is no plan with code \u201c%(plan)s\u201d.",
    "計画コード「%(plan)s」の計画が複数の自治体にあります。--municipality で指定してください。":
        "Several municipalities have a plan with code \u201c%(plan)s\u201d. Use --municipality.",
    "「%(path)s」に書き込めません（%(error)s）。": "Cannot write \u201c%(path)s\u201d (%(error)s).",
    "%(path)s に書き出しました（%(size)s バイト）。": "Wrote %(path)s (%(size)s bytes).",
    # --- plans/models.py ---
    "団体コード": "Municipality code",
    "全国地方公共団体コード（6桁、検査数字付き）": "Local government code (6 digits, including the check digit)",
    "団体名": "Municipality name",
    "団体名（かな）": "Municipality name (kana)",
    "自治体": "Municipality",
    "部": "Bureau",
    "課": "Division",
    "係": "Section",
    "上位部署": "Parent department",
    "部署コード": "Department code",
    "部署名": "Department name",
    "階層": "Level",
    "メールアドレス": "Email address",
    "期限通知の送り先": "Where due-date reminders are sent",
    "カレンダー配信トークン": "Calendar feed token",
    "空にすると配信URLは無効になります": "Clearing it disables the feed URL",
    "上位部署は同じ自治体の部署を選んでください。": "Choose a parent department of the same municipality.",
    "部署の親子関係が循環しています。": "The department hierarchy would contain a loop.",
    "版コード": "Edition code",
    "版": "Edition",
    "公表日": "Published on",
    "計画期間（開始）": "Plan period (start)",
    "計画期間（終了）": "Plan period (end)",
    "既定": "Default",
    "国の計画の版": "National plan edition",
    "略称": "Short name",
    "内容": "Description",
    "国の期限": "National deadline",
    "期限の説明": "Deadline note",
    "移行元": "From",
    "移行先": "To",
    "版の対応": "Edition mapping",
    "策定中": "Drafting",
    "策定済み": "Adopted",
    "終了": "Ended",
    "計画コード": "Plan code",
    "英数字。インポートやURLで使います": "Letters and digits. Used in imports and URLs",
    "計画名": "Plan name",
    "目指す姿": "Vision",
    "計画期間（開始年度）": "Plan period (start fiscal year)",
    "計画期間（終了年度）": "Plan period (end fiscal year)",
    "準拠する国の計画": "National plan followed",
    "版数": "Version",
    "上位の柱": "Parent pillar",
    "柱コード": "Pillar code",
    "ユーザー": "User",
    "所属部署": "Departments",
    "表示名": "Display name",
    "期限通知メールを受け取る": "Receive due-date reminder emails",
    "比較できる範囲": "Comparison scope",
    "空欄: 自団体のみ / 都道府県コード2桁 / national（全国）":
        "Blank: own municipality only / 2-digit prefecture code / national (all of Japan)",
    "所属": "Membership",
    "プレビューのみ": "Preview only",
    "取込済み": "Imported",
    "実行者": "Run by",
    "ファイル名": "File name",
    "ファイルのハッシュ": "File hash",
    "日時": "Date/time",
    "インポート履歴": "Import history",
    "ログイン": "Log in",
    "ログイン失敗": "Failed login",
    "ログアウト": "Log out",
    "権限変更": "Permission change",
    "ユーザー名": "Username",
    "操作": "Action",
    "対象": "Target",
    "IPアドレス": "IP address",
    "詳細": "Details",
    "監査ログ": "Audit log",
    # --- core/people.py, roles.py, validators.py ---
    "（不明なユーザー）": "(unknown user)",
    "管理者（DX推進本部事務局）": "Administrator (DX Promotion Office)",
    "職員": "Staff",
    "議員": "Council member",
    "閲覧者": "Viewer",
    "団体コードは6桁の数字で入力してください。": "Enter the municipality code as 6 digits.",
    "団体コードの先頭2桁（都道府県コード）は01〜47です。":
        "The first 2 digits of the municipality code (the prefecture code) must be 01\u201347.",
    "団体コード %(code)s の検査数字が正しくありません（正しくは %(digit)s）。":
        "The check digit of municipality code %(code)s is wrong (it should be %(digit)s).",
    # --- error pages ---
    "リクエストを処理できません": "The request could not be processed",
    "送信された内容が大きすぎるか、形式が正しくありません。入力内容を確認して、もう一度お試しください。":
        "What was sent is too large or malformed. Check your input and try again.",
    "トップページへ戻る": "Back to the home page",
    "権限がありません": "Permission denied",
    "この操作を行う権限がありません": "You are not allowed to do this",
    "このページを表示または更新する権限がありません。": "You are not allowed to view or change this page.",
    "権限が必要な場合は、DX推進本部事務局（管理者）に連絡してください。":
        "If you need access, contact the DX Promotion Office (administrators).",
    "ページが見つかりません": "Page not found",
    "お探しのページは存在しないか、表示できる範囲の外にあります。URLを確認してください。":
        "The page does not exist or is outside what you can see. Check the URL.",
    "ファイルが大きすぎます": "File too large",
    "送信できるデータは %(limit_mb)s MB までです。ファイルを分割するか、不要なシートや画像を削除してからもう一度お試しください。":
        "Uploads are limited to %(limit_mb)s MB. Split the file or remove unneeded sheets or images, "
        "then try again.",
    # --- admin templates: reminders, Excel import ---
    "ホーム": "Home",
    "%(run_date_label)s の実行で送信される通知です（送信済みのものは含みません）。":
        "Notifications the run on %(run_date_label)s will send (not including those already sent).",
    "件": " items",
    "送信する通知はありません。": "There are no notifications to send.",
    "本日分をいますぐ送信します。送信済みの通知が重複して送られることはありません。":
        "Send today's notifications now. Notifications already sent are never sent twice.",
    "今すぐ送信": "Send now",
    "Excelから取込": "Import from Excel",
    "%(name)sの計画にブックを取り込みます。アップロードすると、まずプレビューを表示します。確定するまで何も書き込まれません。":
        "Import a workbook into the plan of %(name)s. After uploading you see a preview first; "
        "nothing is written until you confirm.",
    "テンプレート（.xlsx）をダウンロード": "Download the template (.xlsx)",
    "、または現在の内容を": ", or use ",
    "して編集します。": " to get the current content, and edit it.",
    "シート「施策」「マイルストーン」「指標」（任意で「部署」）を記入します。CSV（UTF-8 または Shift_JIS）なら1シート分ずつ取り込めます。":
        "Fill in the sheets \u201c施策\u201d, \u201cマイルストーン\u201d and \u201c指標\u201d (optionally \u201c部署\u201d). "
        "A CSV file (UTF-8 or Shift_JIS) imports one sheet at a time.",
    "ファイルを選んで「プレビュー」を押します（上限 %(max_mb)s MB、1シート %(max_rows)s 行）。":
        "Choose the file and press \u201cPreview\u201d (up to %(max_mb)s MB, %(max_rows)s rows per sheet).",
    "ファイルを確認してください。": "Please check the file.",
    "プレビュー": "Preview",
    "最近のインポート": "Recent imports",
    "プレビュー: %(file)s（インポート #%(id)s）": "Preview: %(file)s (import #%(id)s)",
    "エラーが %(n)s 件あります。ファイルを直してもう一度アップロードしてください。何も書き込んでいません。": (
        "There is %(n)s error. Fix the file and upload it again. Nothing has been written.",
        "There are %(n)s errors. Fix the file and upload it again. Nothing has been written.",
    ),
    "変更はありません（新規 0 件、変更 0 件）。": "No changes (0 new, 0 changed).",
    "内容を確認して「取り込む」を押してください。押すまで何も書き込まれません。全シートをまとめて取り込みます（一部だけ取り込まれることはありません）。":
        "Check the content and press \u201cImport\u201d. Nothing is written until you do. All sheets are "
        "imported together (never only some of them).",
    "シートごとの件数": "Rows per sheet",
    "シート": "Sheet",
    "新規": "New",
    "変更": "Changed",
    "変更なし": "Unchanged",
    "行": "Row",
    "列": "Column",
    "値": "Value",
    "%(name)s: 新規・変更の行": "%(name)s: new and changed rows",
    "変更内容（前 → 後）": "Changes (before \u2192 after)",
    "（先頭の行だけを表示しています）": "(only the first rows are shown)",
    "取り込む": "Import",
    "やめる": "Cancel",
    "別のファイルをアップロード": "Upload another file",
    # --- API docs ---
    "オープンデータAPI": "Open data API",
    "読み取り専用です。JSON（既定）またはCSV（?format=csv）で取得できます。一覧は limit / offset でページ分けされます。":
        "Read-only. Available as JSON (default) or CSV (?format=csv). Lists are paginated with limit / offset.",
    "OpenAPI スキーマ": "OpenAPI schema",
    "エンドポイント": "Endpoint",
    "メソッド": "Method",
    "パス": "Path",
    "パラメータ": "Parameters",
    # --- base.html ---
    "DXポータル": "DX Portal",
    "本文へ移動": "Skip to main content",
    "メインメニュー": "Main menu",
    "担当の取組": "My department's work",
    "パスワード変更": "Change password",
    "通知の設定": "Notification settings",
    "管理画面": "Admin",
    "表示言語": "Language",
    "切替": "Switch",
    # --- dashboard templates ---
    "ダウンロード": "Download",
    "絞り込み": "Filter",
    "絞り込む": "Apply filters",
    "解除": "Clear",
    "進捗率": "Progress",
    "マイルストーン 完了／全体": "Milestones done / total",
    "この取組事項に対応する施策がありません": "No measures address this item",
    "公開版": "Public edition",
    "ダッシュボードの表示切替": "Dashboard views",
    "印刷": "Print",
    "該当するマイルストーンはありません。": "No matching milestones.",
    "国の取組事項の進捗：自治体間の比較": "Progress on national items: municipalities compared",
    "対象: %(n)s団体（各団体の策定済みの最新計画）。各欄は進捗率と、期限超過のマイルストーンがある（遅延の）施策の数です。":
        "Covers %(n)s municipalities (each one's latest adopted plan). Each cell shows progress and the number of "
        "measures with overdue milestones (late).",
    "← 都道府県別に戻る": "\u2190 Back to the prefecture view",
    "比較表（横にスクロールできます）": "Comparison table (scrolls horizontally)",
    "都道府県別（団体の合計）": "By prefecture (municipalities combined)",
    "団体別": "By municipality",
    "比較できる団体がありません。": "No municipalities to compare.",
    "指標（KPI）の一覧": "Indicators (KPI)",
    "← 概要に戻る": "\u2190 Back to the overview",
    "評価の基準": "Grading",
    "%(n)s件の指標": ("%(n)s indicator", "%(n)s indicators"),
    "達成度": "Achievement",
    "見込みを下回る": "Behind the expected path",
    "該当する指標はありません。": "No matching indicators.",
    "施策の一覧": "Measures",
    "%(n)s件の施策": ("%(n)s measure", "%(n)s measures"),
    "施策の一覧（絞り込み条件に該当するもの）": "Measures (matching the filters)",
    "（KPIが見込みを下回る）": "(KPI behind the expected path)",
    "該当する施策はありません。": "No matching measures.",
    "マイルストーンの一覧": "Milestones",
    "マイルストーンの区分": "Milestone category",
    "%(n)s件のマイルストーン": ("%(n)s milestone", "%(n)s milestones"),
    "ダッシュボード": "Dashboard",
    "表示できる計画がありません。": "There is no plan to show.",
    "進捗ダッシュボード": "Progress dashboard",
    "DX推進計画 進捗ダッシュボード": "DX Promotion Plan progress dashboard",
    "全体の状況": "Overall status",
    "進捗率（計画全体）": "Progress (whole plan)",
    "状況の見方": "How to read the status",
    "遅延: 期限を過ぎたマイルストーンがある / 注意: 30日以内に期限で未着手のマイルストーンがある、またはKPIが直線的な見込みを下回る / 未着手: まだ何も始まっていない":
        "Late: has an overdue milestone / Attention: has a not-started milestone due within 30 days, or a KPI "
        "behind a straight-line path to its target / Not started: nothing has started yet",
    "国の取組事項（11項目）ごとの進捗": "Progress by national item (11 items)",
    "グラフと同じ数値を下の表に示します。": "The table below shows the same figures as the chart.",
    "進捗率 = 完了したマイルストーン ÷ 中止を除くマイルストーン（マイルストーンのない施策は最新の報告の進捗率）。取組事項・部署・柱の進捗率はマイルストーン数で重み付けした平均です。1つの施策が複数の取組事項に該当する場合、それぞれに数えます。":
        "Progress = milestones done \u00f7 milestones excluding cancelled ones (for a measure without milestones, "
        "the progress in its latest report). Progress by item, department and pillar is the average weighted by "
        "the number of milestones. A measure that addresses several items counts towards each of them.",
    "期限超過のマイルストーン（期限の早い順）": "Overdue milestones (earliest due first)",
    "すべて表示（%(n)s件）": ("Show all (%(n)s)", "Show all (%(n)s)"),
    "評価不能": "Not gradable",
    "%(g)s評価": "Grade %(g)s",
    "達成度の低い順に表示しています。": "Lowest achievement first.",
    "実績": "Actual",
    "未記録": "Not recorded",
    "マイルストーン %(n)s件を年度・四半期ごとに表示しています。": "%(n)s milestones by fiscal year and quarter.",
    "今日を含む四半期（太枠・「今日」と表示）": "The quarter containing today (bold border, marked \u201cToday\u201d)",
    "期限超過のマイルストーンは「超過」と表示します。": "Overdue milestones are marked \u201cOverdue\u201d.",
    "工程表（横にスクロールできます）": "Timeline (scrolls horizontally)",
    "工程表（施策ごとのマイルストーン）": "Timeline (milestones by measure)",
    "今日": "Today",
    # --- includes, measure / milestone pages ---
    "入力内容を確認してください。各項目の下に理由を表示しています。":
        "Please check your input. The reason is shown under each field.",
    "経過（新しい順）": "History (newest first)",
    "訂正": "Correction",
    "まだ記録はありません。": "Nothing recorded yet.",
    "進捗": "Progress",
    "マイルストーン %(done)s/%(total)s 完了": "%(done)s/%(total)s milestones done",
    "報告された進捗率による": "based on the reported progress",
    "この施策は閲覧のみです（更新できるのは担当部署の職員と管理者です）。":
        "This measure is read-only for you (staff of the owner department and administrators can update it).",
    "実施期間": "Period",
    "更新": "Update",
    "マイルストーンはありません。": "No milestones.",
    "達成度の区分": "Achievement grade",
    "未登録": "Not recorded",
    "目標までの直線より遅れ": "Behind a straight line to the target",
    "実績の履歴（訂正前の値も残します）": "Value history (values before corrections are kept)",
    "記録": "Recorded",
    "（訂正済み）": "(corrected)",
    "実績を登録": "Record a value",
    "指標はありません。": "No indicators.",
    "報告する": "Report",
    "すでに実績がある日付で登録すると「訂正」になります。訂正前の値は削除されず、履歴に残ります。":
        "Recording a date that already has a value makes a \u201ccorrection\u201d. The previous value is not "
        "deleted; it stays in the history.",
    "登録する": "Record",
    "キャンセル": "Cancel",
    "登録済みの実績": "Recorded values",
    "訂正済み": "Corrected",
    "最終更新": "Last updated",
    "状況を更新": "Update status",
    "保存する": "Save",
    "このマイルストーンは閲覧のみです（更新できるのは担当部署の職員と管理者です）。":
        "This milestone is read-only for you (staff of the owner department and administrators can update it).",
    "現在の内容（ほかの人が保存したもの）": "Current content (saved by someone else)",
    "下の入力内容で上書きしてよければ、もう一度「保存する」を押してください。":
        "To overwrite it with your input below, press \u201cSave\u201d again.",
    # --- reminder email ---
    "ご担当者様": "To whom it may concern",
    "期限を%(days)s日以上過ぎたマイルストーンがあります。担当部署への確認をお願いします。":
        "Some milestones are at least %(days)s days overdue. Please follow up with the owner departments.",
    "DX推進計画のマイルストーンについてお知らせします。": "Here is an update on DX Promotion Plan milestones.",
    "時点": "snapshot",
    "次の施策は%(days)s日以上、進捗報告がありません。":
        "The following measures have had no progress report for at least %(days)s days.",
    "DXポータル（このメールは自動送信です）": "DX Portal (this email was sent automatically)",
    "通知の受け取り設定": "Notification settings",
    # --- notification settings ---
    "所属部署の期限通知メール（営業日の朝、まとめて1通）を受け取る":
        "Receive due-date reminder emails for my departments (one digest on business-day mornings)",
    "メールアドレスが登録されていないため、通知は届きません。管理者に登録を依頼してください。":
        "You have no email address registered, so no notifications reach you. Ask an administrator to add one.",
    "保存": "Save",
    "カレンダー配信": "Calendar feed",
    "Outlook や Google カレンダーで次のURLを購読すると、部署のマイルストーンの期限が表示されます。URLは部署内だけで共有してください。":
        "Subscribe to the URL below in Outlook or Google Calendar to see your department's milestone due dates. "
        "Share the URL only within the department.",
    "配信は設定されていません（管理者が発行します）": "No feed is set up (an administrator issues it)",
    "所属部署がありません。": "You belong to no department.",
    # --- home, login, password ---
    "DX推進計画": "DX Promotion Plan",
    "計画の一覧": "Plans",
    "計画期間": "Plan period",
    "表示できる計画はまだありません。": "There are no plans to show yet.",
    "ログインが一時的に制限されています": "Login temporarily blocked",
    "パスワードの誤りが続いたため、このアカウントのログインを%(minutes)s分間停止しました。時間をおいてから再度お試しください。": (
        "After repeated wrong passwords, login to this account is blocked for %(minutes)s minute. "
        "Please try again later.",
        "After repeated wrong passwords, login to this account is blocked for %(minutes)s minutes. "
        "Please try again later.",
    ),
    "お急ぎの場合やパスワードを忘れた場合は、DX推進本部事務局（システム管理者）にご連絡ください。":
        "If it is urgent or you have forgotten your password, contact the DX Promotion Office "
        "(system administrators).",
    "DXポータルにログイン": "Log in to the DX Portal",
    "自治体DX推進計画の進捗を確認・更新するためのポータルです。":
        "The portal for checking and updating progress on the municipality's DX promotion plan.",
    "パスワード": "Password",
    "パスワードを変更しました": "Password changed",
    "次回から新しいパスワードでログインしてください。": "Use your new password from the next login.",
    "パスワードの変更": "Change password",
    "現在のパスワードと、新しいパスワードを2回入力してください。":
        "Enter your current password, then your new password twice.",
    "変更する": "Change",
    # --- simple_history template override (English msgids) ---
    "Object": "Object",
    "Date/time": "Date/time",
    "Comment": "Comment",
    "Changed by": "Changed by",
    "Change reason": "Change reason",
    "Changes": "Changes",
    "None": "None",
    "entry": ("entry", "entries"),
    # --- work/mine.html ---
    "担当部署が設定されていないため、ここに表示する取組はありません。計画の内容は各詳細ページで確認できます。":
        "You have no department assigned, so there is no work to show here. Plan content is on each detail page.",
    "条件をクリア": "Clear filters",
    "マイルストーン（期限の近い順）": "Milestones (nearest due first)",
    "条件に合うマイルストーンはありません。": "No milestones match the filters.",
    "施策（状況の要注意順）": "Measures (most urgent status first)",
    "次の期限": "Next due",
    "最終報告": "Last report",
    "%(done)s/%(total)s 完了": "%(done)s/%(total)s done",
    "未報告": "Not reported",
    "条件に合う施策はありません。": "No measures match the filters.",
    # --- core/fiscal.py (dates and fiscal years typed by people) ---
    "%(date)s は明治より前の日付です。": "%(date)s is before the Meiji era.",
    "「%(value)s」の年が正しくありません。": "The year of “%(value)s” is not valid.",
    "「%(value)s」は存在しない日付です。": "“%(value)s” is not a date that exists.",
    "「%(value)s」は%(era)sの期間外です（%(era)sは%(start)sから）。": "“%(value)s” is outside the %(era)s era (%(era)s began on %(start)s).",
    "日付が空です。": "The date is empty.",
    "「%(value)s」は日付として読めません。2025/4/1、2025年4月1日、令和7年4月1日、R7.4.1 のように入力してください。": "“%(value)s” cannot be read as a date. Enter it like 2025/4/1, 2025年4月1日, 令和7年4月1日 or R7.4.1.",
    "「%(value)s」は年度として読めません。": "“%(value)s” cannot be read as a fiscal year.",
    "年度が空です。": "The fiscal year is empty.",
    "「%(value)s」は年度として読めません。2025、2025年度、令和7年度、R7 のように入力してください。": "“%(value)s” cannot be read as a fiscal year. Enter it like 2025, 2025年度, 令和7年度 or R7.",
    "デモ・規模検証データ": "Demo and scale data",

}

PLACEHOLDER = re.compile(r"%\([^)]+\)[sd]|%[sd]|\{[a-z_]*\}")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def fill(po_path: Path = PO_PATH) -> int:
    po = polib.pofile(str(po_path))
    missing, problems = [], []
    for entry in po:
        if entry.obsolete:
            continue
        english = EN.get(entry.msgid)
        if english is None:
            missing.append(entry.msgid)
            continue
        if entry.msgid_plural:
            if not isinstance(english, tuple):
                problems.append(f"plural entry needs (singular, plural): {entry.msgid!r}")
                continue
            entry.msgstr_plural = {0: english[0], 1: english[1]}
            texts = english
        else:
            if isinstance(english, tuple):
                problems.append(f"not a plural entry: {entry.msgid!r}")
                continue
            entry.msgstr = english
            texts = (english,)
        for text in texts:
            if placeholders(text) != placeholders(entry.msgid):
                problems.append(f"placeholders differ: {entry.msgid!r} → {text!r}")
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.header = "English catalogue of DX Portal. Generated by locale/fill_en.py; edit the dictionary there."
    po.metadata.update({
        "Project-Id-Version": "DX Portal",
        "PO-Revision-Date": po.metadata.get("POT-Creation-Date", ""),
        "Last-Translator": "DX Portal team",
        "Language": "en",
        "Language-Team": "English",
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    })
    po.metadata_is_fuzzy = False
    unused = set(EN) - {e.msgid for e in po if not e.obsolete}
    for msgid in missing:
        print(f"MISSING: {msgid!r}", file=sys.stderr)
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    for msgid in sorted(unused):
        print(f"unused (no longer in the catalogue): {msgid!r}", file=sys.stderr)
    if missing or problems:
        return 1
    po.save()
    print(f"{len(po.translated_entries())} messages translated in {po_path}")
    return 0


if __name__ == "__main__":
    sys.exit(fill())
