"""Why a document was refused: the one table of stable reject codes with their zh-CN and English reasons.

The upload API answers with these codes (problem+json ``code``) for what the first bytes already show; the document
worker stores them on ``ReportDocument.reject_code`` for everything it finds in the whole file. Pages show the names.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# code -> (zh-CN, English)
REASONS: Final = MappingProxyType({
    "document_empty": ("文件为空（0 字节）", "the file is empty (0 bytes)"),
    "document_unsupported": ("无法识别的文档格式；支持 PDF、Word (DOCX)、ODT、TXT",
                             "unrecognised document format; accepted: PDF, Word (DOCX), ODT, TXT"),
    "document_is_media": ("这是照片或视频，不是文档；请作为素材上传",
                          "this is a photo or video, not a document; upload it as media"),
    "document_legacy_office": ("旧版 Word 文档（.doc）或加密的 Office 文档无法检查，请另存为不加密的 DOCX 或 PDF",
                               "old Word (.doc) or encrypted Office files cannot be inspected; save it as an "
                               "unencrypted DOCX or PDF"),
    "document_not_text": ("文本文件中含有二进制内容或编码无法识别（支持 UTF-8、GB18030）",
                          "the text file holds binary data or an unknown encoding (UTF-8 and GB18030 are accepted)"),
    "document_too_large": ("文档超过本届活动的大小上限", "the document exceeds the campaign's size limit"),
    "document_too_many_pages": ("文档页数超过本届活动的上限", "the document has more pages than the campaign allows"),
    "document_encrypted": ("文档已加密或设有密码，无法检查，请去除密码后重新上传",
                           "the document is encrypted or password protected; remove the password and upload again"),
    "document_javascript": ("PDF 中含有 JavaScript 脚本，已拒收", "the PDF contains JavaScript and was refused"),
    "document_launch_action": ("PDF 打开时会执行动作（启动程序、打开网址或提交数据），已拒收",
                               "the PDF runs an action when opened (launching a program, opening a URL or "
                               "submitting data) and was refused"),
    "document_embedded_file": ("PDF 中夹带了附件文件，已拒收", "the PDF carries embedded files and was refused"),
    "document_malformed": ("文档已损坏或不完整，无法读取，请重新导出后上传",
                           "the document is damaged or incomplete and cannot be read; export it again"),
    "document_zip_bomb": ("文档压缩数据异常（解压后过大、压缩比过高或成员过多），已拒收",
                          "the document's compressed data is abnormal (too large unpacked, too high a compression "
                          "ratio or too many members) and was refused"),
    "document_xml_entities": ("文档的 XML 含有实体定义或外部引用，已拒收",
                              "the document's XML declares entities or external references and was refused"),
    "document_macros": ("文档含有宏或脚本（如 .docm、VBA、ODF Basic），已拒收，请另存为不含宏的文档",
                        "the document contains macros or scripts (.docm, VBA, ODF Basic) and was refused; save it "
                        "without macros"),
    "document_path_traversal": ("文档包中的成员路径异常（绝对路径或 ..），已拒收",
                                "the document package names members outside itself (absolute paths or ..) and was "
                                "refused"),
    "document_not_office": ("这是一个压缩包，不是 DOCX 或 ODT 文档", "this is an archive, not a DOCX or ODT document"),
    "document_too_complex": ("文档过于复杂，检查超出了时间或内存限制，已拒收",
                             "the document is too complex: inspecting it exceeded the time or memory limit"),
})


def reason(code: str) -> tuple[str, str]:
    """(zh-CN, English) of a reject code; an unknown code is shown as itself."""
    return REASONS.get(code, (code, code))


def reason_text(code: str, lang: str = "zh") -> str:
    zh, en = reason(code)
    return zh if lang.startswith("zh") else en
